// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/exportdialog.h"

#include "views/errorlabel.h"

#include "psc/core/siformat.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace psc {
namespace {

QString bytesText(double bytes)
{
    return QString::fromStdString(formatQuantity(bytes, "B"));
}

/** "arena_bytes" -> "Arena (RAM)", for people. */
QString figureLabel(const std::string &name)
{
    if (name == "arena_bytes")
        return ExportDialog::tr("Activation arena (RAM)");
    if (name == "weight_bytes")
        return ExportDialog::tr("Weights (flash)");
    if (name == "constant_bytes")
        return ExportDialog::tr("All constants (flash)");
    return QString::fromStdString(name);
}

} // namespace

ExportDialog::ExportDialog(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Export Trial"));
    m_trial = new QLabel(this);
    m_trial->setTextFormat(Qt::RichText);
    m_trial->setWordWrap(true);

    m_format = new QComboBox(this);
    m_format->setObjectName(QStringLiteral("exportFormat"));
    const struct
    {
        ExportFormat format;
        QString label;
    } formats[] = {{ExportFormat::C, tr("C for Cortex-M (C99 source and header)")},
                   {ExportFormat::Tflite, tr("TensorFlow Lite (int8 flatbuffer)")},
                   {ExportFormat::Onnx, tr("ONNX (opset 13, int8 QLinear)")}};
    for (const auto &[format, label] : formats)
        m_format->addItem(label, int(format));
    m_format->setToolTip(tr("The deployment format: the C export runs the integer model bit for bit as Paretoscope's "
                            "reference inference; TFLite and ONNX agree within 1 LSB per operator "
                            "(docs/formats/export-*.md)"));

    m_path = new QLineEdit(this);
    m_path->setObjectName(QStringLiteral("exportPath"));
    m_path->setToolTip(tr("The file to write; the C export writes its header beside it"));
    auto *browse = new QPushButton(tr("&Browse…"), this);
    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    m_overwrite = new QCheckBox(tr("&Replace existing files"), this);
    m_overwrite->setObjectName(QStringLiteral("exportOverwrite"));

    m_files = new QTreeWidget(this);
    m_files->setObjectName(QStringLiteral("exportFiles"));
    m_files->setColumnCount(2);
    m_files->setHeaderLabels({tr("Will write (files, then device memory)"), tr("Size")});
    m_files->setRootIsDecorated(false);
    m_files->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_files->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_files->setMinimumHeight(110);
    m_files->setToolTip(tr("The files the export writes and the memory the model needs on the device"));

    m_warnings = new QListWidget(this);
    m_warnings->setObjectName(QStringLiteral("exportWarnings"));
    m_warnings->setWordWrap(true);
    m_warnings->setToolTip(tr("Gains shown on the plot that the file does not realise, and what the format changed"));
    m_warnings->setMinimumHeight(70);

    m_status = new QLabel(tr("Preparing the export (reading and quantising the trial's weights)…"), this);
    m_measure = new QLabel(this);
    m_measure->setObjectName(QStringLiteral("exportMeasure"));
    m_measure->setWordWrap(true);
    m_measure->hide();
    m_error = createErrorLabel(this, QStringLiteral("exportError"));
    m_error->hide();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_export = buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    m_export->setObjectName(QStringLiteral("exportButton"));
    m_export->setToolTip(tr("Write the files (atomically) and record the export in the study"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Format:"), m_format);
    form->addRow(tr("&Output:"), pathRow);
    form->addRow(QString(), m_overwrite);
    qobject_cast<QLabel *>(form->labelForField(pathRow))->setBuddy(m_path);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_trial);
    layout->addLayout(form);
    layout->addWidget(m_files, 1);
    layout->addWidget(new QLabel(tr("Warnings:"), this));
    layout->addWidget(m_warnings);
    layout->addWidget(m_measure);
    layout->addWidget(m_status);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    resize(620, 460);

    connect(m_format, &QComboBox::currentIndexChanged, this, [this] {
        // Keep the path's stem, switch its extension to the format's.
        const QString path = outputPath();
        if (!path.isEmpty()) {
            const QString ext = format() == ExportFormat::C        ? QStringLiteral("c")
                                : format() == ExportFormat::Tflite ? QStringLiteral("tflite")
                                                                   : QStringLiteral("onnx");
            const QFileInfo info(path);
            m_path->setText(QDir(info.path()).filePath(info.completeBaseName() + QLatin1Char('.') + ext));
        } else {
            reload();
        }
    });
    connect(m_path, &QLineEdit::textChanged, this, &ExportDialog::reload);
    connect(m_overwrite, &QCheckBox::toggled, this, &ExportDialog::updateButton);
    connect(browse, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    reload();
}

ExportDialog::~ExportDialog() = default;

void ExportDialog::setTrialText(const QString &text)
{
    m_trial->setText(text);
}

void ExportDialog::setPrepare(Prepare prepare)
{
    m_prepare = std::move(prepare);
    reload();
}

void ExportDialog::setFormat(ExportFormat format)
{
    m_format->setCurrentIndex(m_format->findData(int(format)));
}

ExportFormat ExportDialog::format() const
{
    return ExportFormat(m_format->currentData().toInt());
}

void ExportDialog::setOutputPath(const QString &path)
{
    m_path->setText(path);
}

QString ExportDialog::outputPath() const
{
    return m_path->text().trimmed();
}

bool ExportDialog::overwrite() const
{
    return m_overwrite->isChecked();
}

const TrialExport *ExportDialog::prepared() const
{
    return isPreparing() ? nullptr : m_prepared.get();
}

QString ExportDialog::errorText() const
{
    return m_error->text();
}

void ExportDialog::browse()
{
    const QString current = outputPath();
    const QString filter = format() == ExportFormat::C        ? tr("C sources (*.c)")
                           : format() == ExportFormat::Tflite ? tr("TFLite models (*.tflite)")
                                                              : tr("ONNX models (*.onnx)");
    auto *chooser = new QFileDialog(this, tr("Export To"), current.isEmpty() ? QDir::homePath() : current, filter);
    chooser->setAttribute(Qt::WA_DeleteOnClose);
    chooser->setAcceptMode(QFileDialog::AcceptSave);
    chooser->setOption(QFileDialog::DontConfirmOverwrite); // the dialog's own "Replace existing files" decides
    connect(chooser, &QFileDialog::fileSelected, this, &ExportDialog::setOutputPath);
    chooser->open();
}

void ExportDialog::reload()
{
    m_preparer.cancel();
    m_prepared.reset();
    const QString path = outputPath();
    if (path.isEmpty() || !m_prepare) {
        showPreview(nullptr, path.isEmpty() ? tr("Choose the file to write.") : QString());
        return;
    }
    m_status->show();
    m_error->hide();
    m_export->setEnabled(false);
    m_preparer.run(
        [prepare = m_prepare, f = format(), p = std::filesystem::path(path.toStdString())]() {
            std::pair<std::shared_ptr<TrialExport>, QString> result;
            try {
                result.first = std::make_shared<TrialExport>(prepare(f, p));
            } catch (const std::exception &e) {
                result.second = QString::fromUtf8(e.what());
            }
            return result;
        },
        [this](std::pair<std::shared_ptr<TrialExport>, QString> result) { showPreview(result.first, result.second); });
}

void ExportDialog::showPreview(const std::shared_ptr<TrialExport> &prepared, const QString &error)
{
    m_status->hide();
    m_prepared = prepared;
    m_files->clear();
    m_warnings->clear();
    if (prepared) {
        for (const FileToWrite &f : prepared->files) {
            auto *item = new QTreeWidgetItem(
                m_files, {QString::fromStdString(f.path.filename().string()), bytesText(double(f.bytes.size()))});
            item->setToolTip(0, QString::fromStdString(f.path.string()));
            item->setData(0, Qt::UserRole, QString::fromStdString(f.path.string()));
        }
        for (const auto &[name, value] : prepared->output.figures)
            new QTreeWidgetItem(m_files, {figureLabel(name), bytesText(value)});
        const QIcon warning = style()->standardIcon(QStyle::SP_MessageBoxWarning);
        for (const std::string &w : prepared->output.warnings)
            new QListWidgetItem(warning, QString::fromStdString(w), m_warnings);
        if (prepared->output.warnings.empty())
            new QListWidgetItem(tr("None: the file realises every gain the plot shows."), m_warnings);
    }
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    updateButton();
}

void ExportDialog::setMeasureText(const QString &text)
{
    m_measure->setText(text);
    m_measure->setVisible(!text.isEmpty() && format() == ExportFormat::C);
}

QString ExportDialog::measureText() const
{
    return m_measure->isVisible() ? m_measure->text() : QString();
}

void ExportDialog::updateButton()
{
    m_measure->setVisible(!m_measure->text().isEmpty() && format() == ExportFormat::C);
    QString why;
    if (m_prepared && !m_overwrite->isChecked())
        for (const FileToWrite &f : m_prepared->files)
            if (std::filesystem::exists(f.path))
                why = tr("%1 exists; tick \"Replace existing files\" to replace it")
                          .arg(QString::fromStdString(f.path.string()));
    if (!why.isEmpty()) {
        m_error->setText(why);
        m_error->show();
    } else if (m_prepared) {
        m_error->clear();
        m_error->hide();
    }
    m_export->setEnabled(m_prepared && !isPreparing() && why.isEmpty());
}

} // namespace psc
