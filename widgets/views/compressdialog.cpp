// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/compressdialog.h"

#include "views/errorlabel.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace psc {
namespace {

QString percent(double fraction)
{
    return QString::number(100.0 * fraction, 'g', 3) + QStringLiteral(" %");
}

QString sparsityText(const SparsitySpec &s)
{
    switch (s.pattern) {
    case SparsityPattern::None:
        return {};
    case SparsityPattern::Unstructured:
        return CompressDialog::tr("%1 unstructured sparsity").arg(percent(s.fraction));
    case SparsityPattern::ChannelStructured:
        return CompressDialog::tr("remove %1 of channels").arg(percent(s.fraction));
    case SparsityPattern::Dbb:
        return CompressDialog::tr("DBB %1/%2 sparsity").arg(s.maxNonZeros).arg(s.blockSize);
    case SparsityPattern::NM:
        return CompressDialog::tr("%1:%2 sparsity").arg(s.n).arg(s.m);
    }
    return {};
}

QString factorizationText(const FactorizationSpec &f)
{
    switch (f.kind) {
    case FactorizationSpec::Kind::None:
        return {};
    case FactorizationSpec::Kind::LowRank:
        return f.rank > 0 ? CompressDialog::tr("low-rank factors (rank %1)").arg(f.rank)
                          : CompressDialog::tr("low-rank factors (%1 of full rank)").arg(percent(f.rankFraction));
    case FactorizationSpec::Kind::Kronecker:
        return f.aOut > 0 ? CompressDialog::tr("Kronecker factors (A %1×%2)").arg(f.aOut).arg(f.aIn)
                          : CompressDialog::tr("Kronecker factors");
    }
    return {};
}

QString number(double value)
{
    return QString::number(value, 'g', 6);
}

/** "1 epoch", "3 epochs": English plurals without a translation file (tr("%n") would print "epoch(s)"). */
QString counted(int n, const QString &one, const QString &many)
{
    return (n == 1 ? one : many).arg(n);
}

} // namespace

CompressDialog::CompressDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("compressDialog"));
    setWindowTitle(tr("Compress Trial"));
    m_trial = new QLabel(this);
    m_trial->setObjectName(QStringLiteral("compressTrial"));
    m_trial->setWordWrap(true);
    auto *intro = new QLabel(tr("Each variant of the config is applied to the trial's trained model, fine-tuned and "
                                "measured like a search trial, and added to the study as a new trial linked to this "
                                "one. A variant derived before with the same fine-tuning is not trained again."),
                             this);
    intro->setWordWrap(true);

    m_path = new QLineEdit(this);
    m_path->setObjectName(QStringLiteral("compressConfigPath"));
    m_path->setToolTip(tr("A compression config (JSON): how to fine-tune, and the variants to derive "
                          "(docs/formats/compression-config.md)"));
    auto *browse = new QPushButton(tr("&Browse…"), this);
    browse->setToolTip(tr("Choose a compression config file"));
    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);

    m_fineTune = new QLabel(this);
    m_fineTune->setWordWrap(true);
    m_fineTune->setToolTip(tr("Fine-tuning starts from the parent's recipe; the config's \"fine_tune\" object "
                              "replaces these settings. The data split is always the parent's, so accuracies "
                              "compare."));

    m_variants = new QTableWidget(0, 3, this);
    m_variants->setObjectName(QStringLiteral("compressVariants"));
    m_variants->setHorizontalHeaderLabels({tr("Variant"), tr("Changes"), tr("Layers")});
    m_variants->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_variants->setSelectionMode(QAbstractItemView::NoSelection);
    m_variants->setFocusPolicy(Qt::NoFocus);
    m_variants->verticalHeader()->hide();
    m_variants->setWordWrap(false);
    m_variants->verticalHeader()->setDefaultSectionSize(m_variants->fontMetrics().height() + 6);
    m_variants->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_variants->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_variants->horizontalHeader()->setStretchLastSection(true);
    m_variants->setMinimumHeight(150);

    m_error = createErrorLabel(this, QStringLiteral("compressError"));
    m_status = new QLabel(tr("Checking the config against the trial (its layers and trained weights)…"), this);
    m_status->setObjectName(QStringLiteral("compressChecking"));
    m_status->setVisible(false);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_start = buttons->addButton(tr("&Start"), QDialogButtonBox::AcceptRole);
    m_start->setObjectName(QStringLiteral("compressStart"));
    m_start->setToolTip(tr("Derive the variants in the background; the progress bar below the plot shows how far "
                           "it is and Cancel stops it"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Config:"), pathRow);
    form->addRow(tr("Fine-tuning:"), m_fineTune);
    qobject_cast<QLabel *>(form->labelForField(pathRow))->setBuddy(m_path);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_trial);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_variants, 1);
    layout->addWidget(m_error);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(640, 420);

    connect(m_path, &QLineEdit::textChanged, this, &CompressDialog::reload);
    connect(browse, &QPushButton::clicked, this, &CompressDialog::browse);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    reload();
}

CompressDialog::~CompressDialog() = default;

void CompressDialog::setTrialText(const QString &text)
{
    m_trial->setText(text);
}

QString CompressDialog::trialText() const
{
    return m_trial->text();
}

void CompressDialog::setCheck(Check check)
{
    m_check = std::move(check);
    reload();
}

void CompressDialog::setConfigFile(const QString &path)
{
    if (m_path->text() == path)
        reload();
    else
        m_path->setText(path); // reloads
}

QString CompressDialog::configFile() const
{
    return m_path->text().trimmed();
}

const std::optional<CompressionConfig> &CompressDialog::config() const
{
    static const std::optional<CompressionConfig> none;
    return isChecking() ? none : m_config;
}

QString CompressDialog::errorText() const
{
    return m_error->text();
}

QString CompressDialog::fineTuneText() const
{
    return m_fineTune->text();
}

void CompressDialog::browse()
{
    const QString current = configFile();
    const QString dir = current.isEmpty() ? QDir::homePath() : QFileInfo(current).absolutePath();
    // Window-modal and asynchronous like the dialog itself: no nested event loop.
    auto *chooser = new QFileDialog(this, tr("Choose a Compression Config"), dir,
                                    tr("Compression configs (*.json);;All files (*)"));
    chooser->setAttribute(Qt::WA_DeleteOnClose);
    chooser->setFileMode(QFileDialog::ExistingFile);
    connect(chooser, &QFileDialog::fileSelected, this, &CompressDialog::setConfigFile);
    chooser->open();
}

void CompressDialog::reload()
{
    m_checker.cancel(); // a check of the previous file that is still running no longer matters
    m_config.reset();
    const QString path = configFile();
    if (path.isEmpty()) {
        showConfig();
        showResult(tr("Choose a compression config file."));
        return;
    }
    try {
        m_config = CompressionConfig::fromFile(path.toStdString());
    } catch (const std::exception &e) {
        showConfig();
        showResult(QString::fromUtf8(e.what()));
        return;
    }
    showConfig();
    if (!m_check) {
        showResult({});
        return;
    }
    // The check loads the trial's weights and may factorise them (SVD): off the GUI thread, latest file wins.
    m_error->setVisible(false);
    m_status->setVisible(true);
    m_start->setEnabled(false);
    m_checker.run(
        [check = m_check, config = *m_config]() -> QString {
            try {
                check(config);
                return {};
            } catch (const std::exception &e) {
                return QString::fromUtf8(e.what());
            }
        },
        [this](const QString &error) { showResult(error); });
}

void CompressDialog::showResult(const QString &error)
{
    m_status->setVisible(false);
    if (!error.isEmpty()) {
        // A config that parses but does not fit the trial is still shown, so the message can be matched to it.
        m_config.reset();
        m_error->setText(error);
        // Point at the variant the message is about ("c.json:7:5: /variants/3/layers/0: ...").
        static const QRegularExpression pointer(QStringLiteral("/variants/(\\d+)"));
        if (const QRegularExpressionMatch match = pointer.match(error); match.hasMatch())
            for (int column = 0; column < m_variants->columnCount(); ++column)
                if (QTableWidgetItem *item = m_variants->item(match.captured(1).toInt(), column))
                    item->setForeground(m_error->palette().color(QPalette::WindowText));
    } else {
        m_error->clear();
    }
    m_error->setVisible(!error.isEmpty());
    m_start->setEnabled(error.isEmpty() && m_config.has_value());
}

void CompressDialog::showConfig()
{
    m_variants->setRowCount(0);
    if (!m_config) {
        m_fineTune->setText(tr("–"));
        return;
    }
    m_fineTune->setText(describeFineTune(m_config->fineTune));
    m_variants->setRowCount(int(m_config->variants.size()));
    for (int row = 0; row < m_variants->rowCount(); ++row) {
        const CompressionVariant &v = m_config->variants[std::size_t(row)];
        QStringList layers;
        for (const std::string &l : v.layers)
            layers << QString::fromStdString(l);
        auto *name = new QTableWidgetItem(QString::fromStdString(v.name));
        name->setToolTip(QString::fromStdString(v.origin));
        auto *changes = new QTableWidgetItem(describeVariant(v));
        auto *where =
            new QTableWidgetItem(layers.isEmpty() ? tr("all it can change") : layers.join(QStringLiteral(", ")));
        where->setToolTip(layers.isEmpty() ? tr("Bits and sparsity: every weighted layer. Channel pruning and "
                                                "factorisation: every layer that can shrink, not the output layer.")
                                           : where->text());
        m_variants->setItem(row, 0, name);
        m_variants->setItem(row, 1, changes);
        m_variants->setItem(row, 2, where);
    }
}

QString CompressDialog::describeVariant(const CompressionVariant &v)
{
    QStringList parts;
    if (v.weightBits)
        parts << tr("weights %1 bit").arg(*v.weightBits);
    if (v.activationBits)
        parts << tr("activations %1 bit").arg(*v.activationBits);
    if (v.sparsity)
        parts << sparsityText(*v.sparsity);
    parts << factorizationText(v.factorization);
    parts.removeAll(QString());
    return parts.join(QStringLiteral(", "));
}

QString CompressDialog::describeFineTune(const FineTuneOverrides &f)
{
    QStringList parts;
    if (f.epochs)
        parts << (*f.epochs == 0 ? tr("no float epochs (one-shot pruning)")
                                 : counted(*f.epochs, tr("%1 epoch"), tr("%1 epochs")));
    if (f.qatEpochs)
        parts << (*f.qatEpochs == 0 ? tr("no QAT (ranges calibrated)")
                                    : counted(*f.qatEpochs, tr("%1 QAT epoch"), tr("%1 QAT epochs")));
    if (f.learningRate)
        parts << tr("learning rate %1").arg(number(*f.learningRate));
    if (f.qatLearningRate)
        parts << tr("QAT learning rate %1").arg(number(*f.qatLearningRate));
    if (f.batchSize)
        parts << tr("batch size %1").arg(*f.batchSize);
    if (f.weightDecay)
        parts << tr("weight decay %1").arg(number(*f.weightDecay));
    if (f.schedule)
        parts << tr("%1 schedule")
                     .arg(*f.schedule == LrSchedule::Constant ? tr("constant")
                          : *f.schedule == LrSchedule::Cosine ? tr("cosine")
                                                              : tr("step"));
    if (f.calibrationBatches)
        parts << counted(*f.calibrationBatches, tr("%1 calibration batch"), tr("%1 calibration batches"));
    if (f.pruneBegin || f.pruneEnd)
        parts << tr("pruning from %1 to %2 of the steps")
                     .arg(f.pruneBegin ? percent(*f.pruneBegin) : tr("the parent's start"),
                          f.pruneEnd ? percent(*f.pruneEnd) : tr("the parent's end"));
    if (parts.isEmpty())
        return tr("as the parent was trained");
    return parts.join(QStringLiteral(", ")) + tr("; the rest as the parent was trained");
}

} // namespace psc
