// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/layercompressionview.h"

#include "psc/study/lineage.h"

#include "models/layercompressionmodel.h"
#include "models/metricformat.h"
#include "models/trialsummary.h"

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QTextDocumentFragment>
#include <QVBoxLayout>

#include <exception>
#include <optional>

namespace psc {
namespace {

const MetricRef kBytes{"weight_bytes", {}};

std::optional<NetworkDescription> readNetwork(const Trial &trial, QString *error)
{
    if (trial.architectureJson.empty()) {
        *error = LayerCompressionView::tr("Trial %1 has no architecture yet.").arg(trial.number);
        return std::nullopt;
    }
    try {
        return parseNetworkJson(trial.architectureJson, "trial " + std::to_string(trial.number));
    } catch (const std::exception &e) {
        *error = LayerCompressionView::tr("Trial %1: cannot read its architecture: %2")
                     .arg(trial.number)
                     .arg(QString::fromUtf8(e.what()));
        return std::nullopt;
    }
}

} // namespace

LayerCompressionView::LayerCompressionView(QWidget *parent) : QWidget(parent), m_model(new LayerCompressionModel(this))
{
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("layerCompressionTitle"));
    m_title->setTextFormat(Qt::RichText);
    m_title->setWordWrap(true);
    m_lineage = new QLabel(this);
    m_lineage->setObjectName(QStringLiteral("layerCompressionLineage"));
    m_lineage->setTextFormat(Qt::RichText);
    m_lineage->setWordWrap(true);
    m_lineage->setToolTip(tr("The trial this one was compressed from (paretoscope compress), and how"));

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("layerCompressionTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setWhatsThis(tr("Every layer of the selected trial's network: its bits, how its weights are pruned, and "
                             "its weight size as float32 before compression and as deployed after it."));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_title);
    layout->addWidget(m_lineage);
    layout->addWidget(m_table, 1);
    clear();
}

void LayerCompressionView::clear()
{
    showMessage(tr("Select a trial to see its layers and how they are compressed."));
}

void LayerCompressionView::showMessage(const QString &text)
{
    m_message = text;
    m_model->clear();
    m_title->setText(QStringLiteral("<i>%1</i>").arg(text.toHtmlEscaped()));
    m_lineage->clear();
    m_lineage->hide();
}

void LayerCompressionView::setTrial(const Trial &trial, const Trial *parent)
{
    QString error;
    const auto network = readNetwork(trial, &error);
    if (!network) {
        showMessage(error);
        return;
    }
    QString ignored;
    const auto parentNetwork = parent ? readNetwork(*parent, &ignored) : std::nullopt;
    if (!showNetwork(*network, tr("Trial %1").arg(trial.number), parentNetwork ? &*parentNetwork : nullptr))
        return;
    if (const std::optional<Lineage> l = decodeLineage(trial); l && l->kind == Lineage::Kind::Imported) {
        m_lineage->setText(tr("Imported from <b>%1</b> (%2): its integers as the file holds them; not counted in the "
                              "study's budget")
                               .arg(QString::fromStdString(l->importedFile).toHtmlEscaped(),
                                    QString::fromStdString(l->importedFormat).toUpper()));
        m_lineage->show();
        return;
    }
    if (!trial.parentId)
        return;

    QString parentText = parent ? tr("<b>trial %1</b>").arg(parent->number) : tr("trial id %1").arg(*trial.parentId);
    if (parent) {
        if (parentNetwork) {
            try {
                const double bytes = double(analyzeNetwork(*parentNetwork).totalWeightBytes);
                parentText += tr(" (%1 deployed)").arg(formatMetricValue(kBytes, bytes));
            } catch (const std::exception &) {
                // The parent's size is a detail of the header; the table is this trial's.
            }
        }
    }
    const QString variant = compressionVariantSummary(trial);
    m_lineage->setText(
        tr("Compressed from %1%2")
            .arg(parentText, variant.isEmpty() ? QString() : tr(" with %1").arg(variant.toHtmlEscaped())));
    m_lineage->show();
}

void LayerCompressionView::setNetwork(const NetworkDescription &network, const QString &title)
{
    showNetwork(network, title);
}

bool LayerCompressionView::showNetwork(const NetworkDescription &network, const QString &title,
                                       const NetworkDescription *parent)
{
    try {
        m_model->setNetwork(network, parent);
    } catch (const std::exception &e) {
        showMessage(tr("%1: cannot analyse its network: %2").arg(title, QString::fromUtf8(e.what())));
        return false;
    }
    m_message.clear();
    const ModelAnalysis &a = m_model->analysis();
    const int totals = m_model->totalsRow();
    const qint64 before = m_model->index(totals, LayerCompressionModel::SizeBeforeColumn)
                              .data(LayerCompressionModel::RawValueRole)
                              .toLongLong();
    QString text =
        tr("<b>%1</b> — %2 layers, %3 parameters: %4 as float32, %5 deployed")
            .arg(title.toHtmlEscaped())
            .arg(a.layers.size())
            .arg(formatMetricValue(MetricRef{"params", {}}, double(a.totalParams)),
                 formatMetricValue(kBytes, double(before)), formatMetricValue(kBytes, double(a.totalWeightBytes)));
    if (a.totalWeightBytes > 0)
        text += tr(" (%1× smaller)").arg(QString::number(double(before) / double(a.totalWeightBytes), 'f', 1));
    m_title->setText(text);
    m_lineage->clear();
    m_lineage->hide();
    fitColumns();
    return true;
}

void LayerCompressionView::fitColumns()
{
    m_table->resizeColumnsToContents();
    // Headers narrower than their cells would look cramped; a little air between the numbers.
    for (int c = 0; c < m_model->columnCount(); ++c)
        m_table->setColumnWidth(c, m_table->columnWidth(c) + 8);
}

QString LayerCompressionView::headerText() const
{
    QString text = QTextDocumentFragment::fromHtml(m_title->text()).toPlainText();
    if (!m_lineage->text().isEmpty())
        text += QLatin1Char('\n') + QTextDocumentFragment::fromHtml(m_lineage->text()).toPlainText();
    return text;
}

} // namespace psc
