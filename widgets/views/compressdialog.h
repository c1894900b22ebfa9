// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/latestrequest.h"

#include "psc/compress/compressionconfig.h"

#include <QDialog>

#include <functional>
#include <optional>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace psc {

/**
 * Asks how to compress a trained trial: a compression config file (docs/formats/compression-config.md),
 * shown once parsed as its fine-tune settings and its variants, one row each. A file that cannot be read or
 * parsed, or that the check rejects (a layer the trial does not have), shows the engine's message, which
 * names the file, line:column and JSON pointer, and disables Start. The check runs off the GUI thread; Start
 * stays disabled until it passes. The dialog only asks: whoever opened it
 * starts the work with config() once it is accepted. GUI thread only.
 */
class CompressDialog : public QDialog
{
    Q_OBJECT
public:
    /**
     * Checks a parsed config against the trial to compress; throws (std::exception) to reject it with what(). It
     * runs on a pool thread (it may load weights and factorise them), so it must be safe to call from any thread
     * and must not touch widgets.
     */
    using Check = std::function<void(const CompressionConfig &)>;

    explicit CompressDialog(QWidget *parent = nullptr);
    ~CompressDialog() override;

    /** The line above the config: which trial is compressed, e.g. "Trial 5 (ds-cnn): 87.1 %, 20.7 KiB". */
    void setTrialText(const QString &text);
    QString trialText() const;
    /** Checks every config that parses from now on, and the current one again. */
    void setCheck(Check check);
    /** Reads and shows `path`. */
    void setConfigFile(const QString &path);
    QString configFile() const;

    /** True while the check of the current file runs (Start stays disabled until it passes). */
    bool isChecking() const { return m_checker.isBusy(); }
    /** The parsed config, if the current file parsed and passed the check (none while the check runs). */
    const std::optional<CompressionConfig> &config() const;
    /** Why there is no config (the engine's message), or empty. */
    QString errorText() const;
    /** One line about the fine-tuning: the config's overrides of the parent's recipe. */
    QString fineTuneText() const;
    QTableWidget *variantTable() const { return m_variants; }
    QPushButton *startButton() const { return m_start; }

    /** "weights 4 bit, 75 % unstructured sparsity": what a variant changes, for people. */
    static QString describeVariant(const CompressionVariant &variant);
    /** "1 epoch, 1 QAT epoch, learning rate 0.001; the rest as the parent was trained". */
    static QString describeFineTune(const FineTuneOverrides &fineTune);

private:
    void reload();
    void browse();
    void showConfig();
    /** Shows the outcome for the current file: `error` (empty if it passed) and whether Start is enabled. */
    void showResult(const QString &error);

    QLabel *m_trial = nullptr;
    QLineEdit *m_path = nullptr;
    QLabel *m_fineTune = nullptr;
    QTableWidget *m_variants = nullptr;
    QLabel *m_error = nullptr;
    QLabel *m_status = nullptr; ///< "Checking…" while the check runs
    QPushButton *m_start = nullptr;
    Check m_check;
    std::optional<CompressionConfig> m_config;
    LatestRequest m_checker{this};
};

} // namespace psc
