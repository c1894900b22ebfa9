// SPDX-License-Identifier: GPL-3.0-or-later
#include "importcontroller.h"

#include "studycontroller.h"

#include "psc/core/siformat.h"
#include "psc/export/trialimport.h"
#include "psc/study/metrics.h"

#include <QAction>
#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSettings>
#include <QStyle>
#include <QtConcurrent>

#include <variant>

namespace psc {
namespace {

const QString kLastFolderKey = QStringLiteral("import/lastFolder");

} // namespace

ImportController::ImportController(StudyController *controller, QWidget *window)
    : QObject(window), m_controller(controller), m_window(window)
{
    m_action = new QAction(QIcon::fromTheme(QStringLiteral("document-import"),
                                            QApplication::style()->standardIcon(QStyle::SP_DialogOpenButton)),
                           tr("&Import Model…"), this);
    m_action->setObjectName(QStringLiteral("importAction"));
    m_action->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_I);
    connect(m_action, &QAction::triggered, this, &ImportController::chooseAndImport);
    for (auto signal : {&StudyController::studyOpened, &StudyController::studyClosed})
        connect(controller, signal, this, &ImportController::updateAction);
    connect(controller, &StudyController::runStarted, this, &ImportController::updateAction);
    connect(controller, &StudyController::runFinished, this, &ImportController::updateAction);
    updateAction();
}

void ImportController::updateAction()
{
    QString why;
    if (!m_controller->hasStudy())
        why = tr("Open a study to import a model into it");
    else if (m_controller->isRunning())
        why = tr("A run is in progress on this study; import when it has finished");
    else if (m_importing)
        why = tr("A model is being imported");
    m_action->setEnabled(why.isEmpty());
    m_action->setToolTip(why.isEmpty() ? tr("Add a TFLite or ONNX model made elsewhere to this study as an external "
                                            "trial, costed on its targets and measured on its test set, to compare "
                                            "it on the plot (not counted in the budget)")
                                       : why);
    m_action->setStatusTip(m_action->toolTip());
}

void ImportController::chooseAndImport()
{
    updateAction();
    if (!m_action->isEnabled())
        return;
    const QString folder =
        QSettings().value(kLastFolderKey, QFileInfo(m_controller->studyPath()).absolutePath()).toString();
    const QString file = QFileDialog::getOpenFileName(m_window, tr("Import Model"), folder,
                                                      tr("Models (*.tflite *.onnx);;All files (*)"));
    if (file.isEmpty())
        return;
    QSettings().setValue(kLastFolderKey, QFileInfo(file).absolutePath());
    importModel(file);
}

void ImportController::importModel(const QString &modelFile)
{
    updateAction();
    if (!m_action->isEnabled())
        return;
    m_importing = true;
    updateAction();
    const QString name = QFileInfo(modelFile).fileName();
    m_busy = new QProgressDialog(tr("Importing %1: reading it, costing it on the study's targets and measuring its "
                                    "accuracy on the study's test set…")
                                     .arg(name),
                                 QString(), 0, 0, m_window);
    m_busy->setObjectName(QStringLiteral("importBusy"));
    m_busy->setWindowTitle(tr("Import Model"));
    m_busy->setWindowModality(Qt::WindowModal);
    m_busy->setMinimumDuration(300);
    Q_EMIT statusMessage(tr("Importing %1…").arg(name));
    using Outcome = std::variant<ImportedTrial, std::string>;
    auto *watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, watcher, name] {
        const Outcome outcome = watcher->result();
        watcher->deleteLater();
        m_importing = false;
        if (m_busy)
            m_busy->deleteLater();
        updateAction();
        if (const auto *error = std::get_if<std::string>(&outcome)) {
            Q_EMIT statusMessage(tr("Could not import %1").arg(name));
            auto *box = new QMessageBox(QMessageBox::Warning, tr("Cannot import"), QString::fromStdString(*error),
                                        QMessageBox::Ok, m_window);
            box->setObjectName(QStringLiteral("importMessage"));
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->setTextInteractionFlags(Qt::TextSelectableByMouse);
            box->open();
            return;
        }
        const ImportedTrial &t = std::get<ImportedTrial>(outcome);
        m_controller->refresh();
        QString text = tr("Imported %1 as trial %2").arg(name).arg(t.trial.number);
        if (const std::optional<double> a = metricValue(t.trial, MetricRef{"deployed_accuracy", ""}))
            text += tr(": deployed accuracy %1")
                        .arg(QString::fromStdString(formatMetric(MetricRef{"deployed_accuracy", ""}, *a)));
        for (const std::string &n : t.notes)
            text += QStringLiteral("; ") + QString::fromStdString(n);
        Q_EMIT statusMessage(text);
        Q_EMIT imported(t.trial.id);
    });
    const std::string study = m_controller->studyPath().toStdString();
    watcher->setFuture(QtConcurrent::run([study, file = modelFile.toStdString()]() -> Outcome {
        try {
            return importIntoStudy(study, file);
        } catch (const std::exception &e) {
            return std::string(e.what());
        }
    }));
}

} // namespace psc
