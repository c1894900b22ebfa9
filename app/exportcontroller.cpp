// SPDX-License-Identifier: GPL-3.0-or-later
#include "exportcontroller.h"

#include "studycontroller.h"

#include "models/trialsummary.h"
#include "models/trialtablemodel.h"
#include "views/exportdialog.h"
#include "views/studyview.h"
#include "views/trialinspector.h"

#include "psc/core/siformat.h"
#include "psc/export/cortexm.h"
#include "psc/targets/targetlibrary.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSettings>
#include <QStyle>
#include <QTableView>
#include <QtConcurrent>

namespace psc {
namespace {

const QString kLastFolderKey = QStringLiteral("export/lastFolder");

} // namespace

ExportController::ExportController(StudyController *controller, StudyView *view, TrialInspector *inspector,
                                   QWidget *window)
    : QObject(window), m_controller(controller), m_view(view), m_window(window)
{
    m_action = new QAction(QIcon::fromTheme(QStringLiteral("document-export"),
                                            QApplication::style()->standardIcon(QStyle::SP_DialogSaveButton)),
                           tr("&Export Trial…"), this);
    m_action->setObjectName(QStringLiteral("exportAction"));
    m_action->setShortcut(Qt::CTRL | Qt::Key_E);
    connect(m_action, &QAction::triggered, this, &ExportController::exportSelected);
    view->table()->setContextMenuPolicy(Qt::ActionsContextMenu);
    view->table()->addAction(m_action);
    inspector->addCornerAction(m_action);
    connect(view, &StudyView::selectedTrialChanged, this, &ExportController::updateAction);
    connect(controller, &StudyController::trialsChanged, this, &ExportController::updateAction);
    connect(controller, &StudyController::studyOpened, this, &ExportController::updateAction);
    connect(controller, &StudyController::studyClosed, this, &ExportController::updateAction);
    connect(controller, &StudyController::runStarted, this, &ExportController::updateAction);
    connect(controller, &StudyController::runFinished, this, &ExportController::updateAction);
    updateAction();
}

ExportController::~ExportController() = default;

ExportDialog *ExportController::dialog() const
{
    return m_dialog && m_dialog->isVisible() ? m_dialog.data() : nullptr;
}

void ExportController::updateAction()
{
    const TrialTableModel *model = m_view->model();
    const Trial *trial = model->trialAt(model->rowOfTrial(m_view->selectedTrial()));
    QString why;
    if (!m_controller->hasStudy())
        why = tr("Open a study and select a trained trial to export it");
    else if (m_controller->isRunning())
        why = tr("A run is in progress on this study; export when it has finished");
    else if (m_measuring)
        why = tr("An export is being measured; wait for it to finish");
    else if (!trial)
        why = tr("Select a trained (complete) trial to export it");
    else
        why = m_controller->whyNoTrainedModel(*trial, tr("export"));
    m_action->setEnabled(why.isEmpty());
    m_action->setToolTip(why.isEmpty() ? tr("Write trial %1's integer model as a deployment file (C for Cortex-M), "
                                            "with a preview of the files and of the gains the file does not realise")
                                             .arg(trial->number)
                                       : why);
    m_action->setStatusTip(m_action->toolTip());
}

void ExportController::exportSelected()
{
    updateAction();
    if (!m_action->isEnabled() || dialog())
        return;
    const TrialTableModel *model = m_view->model();
    const Trial trial = *model->trialAt(model->rowOfTrial(m_view->selectedTrial()));
    const QString studyPath = m_controller->studyPath();

    auto *dialog = new ExportDialog(m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    dialog->setWindowTitle(tr("Export Trial %1").arg(trial.number));
    QString text = tr("<b>Trial %1</b>").arg(trial.number);
    if (const QString sketch = architectureSummary(trial); !sketch.isEmpty())
        text += QStringLiteral(": ") + sketch.toHtmlEscaped();
    dialog->setTrialText(text);
    // The study's MCU targets the trial was costed on: a C export is measured on their cores after it is written.
    QStringList cores;
    if (const TargetLibrary *library = m_controller->targets())
        for (const Metric &m : trial.metrics)
            if (const TargetDefinition *def = m.target.empty() ? nullptr : library->find(m.target);
                def && def->model == "mcu")
                for (const TargetParameter &p : def->parameters)
                    if (p.name == "core" && qemuMachineForCore(p.value.text)) {
                        const QString entry = QStringLiteral("%1 (%2)").arg(QString::fromStdString(m.target),
                                                                            QString::fromStdString(p.value.text));
                        if (!cores.contains(entry))
                            cores << entry;
                    }
    if (!cores.isEmpty())
        dialog->setMeasureText(tr("After Export, the C files are built for %1 and run once on QEMU: their flash, "
                                  "SRAM and instructions are recorded beside the estimates (inspector, Deployments).")
                                   .arg(cores.join(tr(", "))));
    dialog->setPrepare(m_controller->exportPreparer(trial.number));
    // A name that says where the model came from, in the folder used last (else beside the study).
    const QString folder = QSettings().value(kLastFolderKey, QFileInfo(studyPath).absolutePath()).toString();
    dialog->setOutputPath(QDir(folder).filePath(
        QStringLiteral("%1-trial%2.c").arg(QFileInfo(studyPath).completeBaseName()).arg(trial.number)));
    connect(dialog, &QDialog::accepted, this, [this, studyPath] { write(studyPath); });
    m_dialog = dialog;
    dialog->open();
}

void ExportController::write(const QString &studyPath)
{
    if (!m_dialog || !m_dialog->prepared() || m_measuring)
        return;
    const TrialExport prepared = *m_dialog->prepared();
    const bool overwrite = m_dialog->overwrite();
    if (prepared.format != ExportFormat::C) {
        finish(studyPath, prepared, overwrite, {}, {});
        return;
    }
    // The C build and one inference on QEMU per core take a second or two: on a pool thread, with a busy indicator
    // (no cancel: nothing has been written yet, and the tools stop on their own within their time limit).
    m_measuring = true;
    updateAction();
    m_busy = new QProgressDialog(tr("Building the C export for the study's Cortex-M targets and running it on QEMU "
                                    "to measure it beside their estimates…"),
                                 QString(), 0, 0, m_window);
    m_busy->setObjectName(QStringLiteral("exportMeasuring"));
    m_busy->setWindowTitle(tr("Export Trial %1").arg(prepared.trial.number));
    m_busy->setWindowModality(Qt::WindowModal);
    m_busy->setMinimumDuration(300);
    Q_EMIT statusMessage(tr("Measuring the C export of trial %1 on Cortex-M…").arg(prepared.trial.number));
    struct Measured
    {
        std::vector<CortexMCheck> checks;
        std::vector<std::string> notes;
    };
    auto *watcher = new QFutureWatcher<Measured>(this);
    connect(watcher, &QFutureWatcher<Measured>::finished, this, [this, watcher, studyPath, prepared, overwrite] {
        const Measured m = watcher->result();
        watcher->deleteLater();
        m_measuring = false;
        if (m_busy)
            m_busy->deleteLater();
        finish(studyPath, prepared, overwrite, m.checks, m.notes);
        updateAction();
    });
    watcher->setFuture(QtConcurrent::run([prepared] {
        Measured m;
        m.checks = StudyController::measureExport(prepared, &m.notes);
        return m;
    }));
}

void ExportController::finish(const QString &studyPath, const TrialExport &prepared, bool overwrite,
                              const std::vector<CortexMCheck> &checks, const std::vector<std::string> &notes)
{
    try {
        if (m_controller->studyPath() != studyPath)
            throw std::runtime_error("the study was closed while the export was prepared");
        const ExportRecord record = m_controller->writeExport(prepared, overwrite, checks);
        QSettings().setValue(kLastFolderKey, QFileInfo(QString::fromStdString(record.path)).absolutePath());
        QString text = tr("Exported trial %1 to %2 (%3, %n warning(s))", nullptr, int(record.warnings.size()))
                           .arg(prepared.trial.number)
                           .arg(QDir::toNativeSeparators(QString::fromStdString(record.path)))
                           .arg(QString::fromStdString(formatQuantity(double(record.bytes), "B")));
        if (!checks.empty())
            text += tr("; measured on %n Cortex-M target(s), see the inspector's Deployments tab", nullptr,
                       int(checks.size()));
        for (const std::string &n : notes)
            text += QStringLiteral("; ") + QString::fromStdString(n);
        Q_EMIT statusMessage(text);
        Q_EMIT exported(prepared.trial.id);
    } catch (const std::exception &e) {
        showError(QString::fromUtf8(e.what()));
    }
}

void ExportController::showError(const QString &text)
{
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Cannot export"), text, QMessageBox::Ok, m_window);
    box->setObjectName(QStringLiteral("exportMessage"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->open();
}

} // namespace psc
