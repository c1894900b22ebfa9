// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/deploymentview.h"

#include "psc/core/siformat.h"
#include "psc/export/trialexport.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace psc {

namespace {

enum Column
{
    What,
    Estimated,
    Measured,
    Error,
    Details,
    ColumnCount,
};

QString quantity(double value, const std::string &unit)
{
    return QString::fromStdString(formatQuantity(value, unit));
}

} // namespace

DeploymentView::DeploymentView(QWidget *parent)
    : QWidget(parent), m_header(new QLabel(this)), m_tree(new QTreeWidget(this))
{
    m_header->setObjectName(QStringLiteral("deploymentHeader"));
    m_header->setWordWrap(true);
    m_tree->setObjectName(QStringLiteral("deploymentTree"));
    m_tree->setColumnCount(ColumnCount);
    m_tree->setHeaderLabels({tr("Export / quantity"), tr("Estimated"), tr("Measured"), tr("Error"), tr("Details")});
    QTreeWidgetItem *header = m_tree->headerItem();
    header->setToolTip(What, tr("The exported file, and under it each quantity measured on it"));
    header->setToolTip(Estimated, tr("What the cost model estimated for this file (the metric is in Details)"));
    header->setToolTip(Measured, tr("What the file or its build measured: arm-none-eabi-size of the C build, "
                                    "instructions counted on QEMU, the file's bytes"));
    header->setToolTip(Error, tr("(estimated - measured) / measured"));
    for (int c = Estimated; c <= Error; ++c)
        header->setTextAlignment(c, Qt::AlignRight | Qt::AlignVCenter);
    m_tree->setRootIsDecorated(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setStretchLastSection(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_header);
    layout->addWidget(m_tree, 1);
    clear();
}

void DeploymentView::clear()
{
    m_tree->clear();
    m_header->setText(tr("Select a trial to see the files it was exported to."));
}

void DeploymentView::setExports(const Trial &trial, const std::vector<ExportRecord> &exports)
{
    m_tree->clear();
    if (exports.empty()) {
        m_header->setText(tr("Trial %1 has not been exported. <i>File ▸ Export Trial…</i> writes it as C, TFLite or "
                             "ONNX; a C export is then built for the study's Cortex-M targets and measured beside "
                             "their estimates.")
                              .arg(trial.number));
        return;
    }
    m_header->setText(tr("Trial %1: %n export(s), newest first. Measured beside estimated, with the relative error.",
                         nullptr, int(exports.size()))
                          .arg(trial.number));
    for (auto it = exports.rbegin(); it != exports.rend(); ++it) {
        const ExportRecord &e = *it;
        auto *top = new QTreeWidgetItem(m_tree);
        const QString path = QDir::toNativeSeparators(QString::fromStdString(e.path));
        top->setText(
            What, QStringLiteral("%1  %2").arg(QString::fromStdString(e.format).toUpper(), QFileInfo(path).fileName()));
        top->setToolTip(What, path);
        top->setText(Measured, quantity(double(e.bytes), "B"));
        top->setToolTip(Measured, tr("The main file's size"));
        QString details =
            QDateTime::fromSecsSinceEpoch(qint64(e.createdAt)).toString(QStringLiteral("yyyy-MM-dd hh:mm"));
        if (!e.warnings.empty())
            details += tr(", %n warning(s)", nullptr, int(e.warnings.size()));
        top->setText(Details, details);
        QString tip = tr("SHA-256 %1").arg(QString::fromStdString(e.sha256));
        for (const std::string &w : e.warnings)
            tip += QStringLiteral("\n• ") + QString::fromStdString(w);
        top->setToolTip(Details, tip);
        const std::vector<ExportComparison> rows = compareExport(e, trial);
        if (rows.empty() && e.format == "c") {
            auto *none = new QTreeWidgetItem(top);
            none->setText(What, tr("not measured"));
            none->setText(Details, tr("the study has no Cortex-M target, or the export was made with --no-measure, "
                                      "by an earlier version, or without arm-none-eabi-gcc and qemu-system-arm"));
        }
        for (const ExportComparison &r : rows) {
            auto *item = new QTreeWidgetItem(top);
            item->setText(What, QString::fromStdString(r.quantity));
            item->setText(Estimated, quantity(r.estimated, r.unit));
            item->setText(Measured, quantity(r.measured, r.unit));
            const double error = r.relativeError();
            item->setText(Error, QStringLiteral("%1%2 %").arg(error >= 0 ? "+" : "").arg(100.0 * error, 0, 'f', 2));
            item->setText(Details,
                          QStringLiteral("%1 vs %2")
                              .arg(QString::fromStdString(r.estimateMetric), QString::fromStdString(r.measuredAs)));
            item->setToolTip(Details, item->text(Details));
            if (r.quantity == "file")
                item->setToolTip(Error, tr("The plot's weight memory counts weights packed at their bit-widths; the "
                                           "%1 file stores them as int8 and adds the graph, shapes and quantisation "
                                           "parameters, so the gain on the plot is not realised by this file")
                                            .arg(QString::fromStdString(e.format).toUpper()));
            for (int c = Estimated; c <= Error; ++c)
                item->setTextAlignment(c, Qt::AlignRight | Qt::AlignVCenter);
        }
        top->setExpanded(true);
    }
    for (int c = What; c < Details; ++c)
        m_tree->resizeColumnToContents(c);
}

} // namespace psc
