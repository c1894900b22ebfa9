// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/latestrequest.h"

#include "psc/export/trialexport.h"

#include <QDialog>

#include <functional>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTreeWidget;

namespace psc {

/**
 * Asks where and how to export a trained trial, and shows what the export will hold before anything is written:
 * the files with their sizes, the figures (arena, weights) and the warnings (gains on the plot the file does not
 * realise). The preview is prepared off the GUI thread (it reads the trial's weights and quantises them); Export
 * stays disabled until it is ready and the output may be written. The dialog only asks: whoever opened it writes
 * prepared() once it is accepted. GUI thread only.
 */
class ExportDialog : public QDialog
{
    Q_OBJECT
public:
    /** Prepares an export (may throw std::exception: the message is shown). Runs on a pool thread. */
    using Prepare = std::function<TrialExport(ExportFormat, const std::filesystem::path &)>;

    explicit ExportDialog(QWidget *parent = nullptr);
    ~ExportDialog() override;

    void setTrialText(const QString &text);
    /** What a C export will be measured on after it is written (shown for the C format only; empty: nothing). */
    void setMeasureText(const QString &text);
    QString measureText() const;
    void setPrepare(Prepare prepare);
    void setFormat(ExportFormat format);
    ExportFormat format() const;
    void setOutputPath(const QString &path);
    QString outputPath() const;
    /** True if existing files may be replaced. */
    bool overwrite() const;

    /** True while the preview is being prepared. */
    bool isPreparing() const { return m_preparer.isBusy(); }
    /** The prepared export for the current format and path, if it is ready and valid (none while preparing). */
    const TrialExport *prepared() const;
    /** Why there is nothing to export (the engine's message), or empty. */
    QString errorText() const;
    QTreeWidget *fileList() const { return m_files; }
    QListWidget *warningList() const { return m_warnings; }
    QPushButton *exportButton() const { return m_export; }

private:
    void reload();
    void browse();
    void showPreview(const std::shared_ptr<TrialExport> &prepared, const QString &error);
    void updateButton();

    QLabel *m_trial = nullptr;
    QComboBox *m_format = nullptr;
    QLineEdit *m_path = nullptr;
    QCheckBox *m_overwrite = nullptr;
    QTreeWidget *m_files = nullptr;
    QListWidget *m_warnings = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_measure = nullptr;
    QLabel *m_error = nullptr;
    QPushButton *m_export = nullptr;
    Prepare m_prepare;
    std::shared_ptr<TrialExport> m_prepared;
    LatestRequest m_preparer{this};
};

} // namespace psc
