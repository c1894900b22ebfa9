// SPDX-License-Identifier: GPL-3.0-or-later
#include "compresscontroller.h"

#include "studycontroller.h"

#include "models/metricformat.h"
#include "models/trialsummary.h"
#include "models/trialtablemodel.h"
#include "views/compressdialog.h"
#include "views/studyview.h"
#include "views/trialinspector.h"

#include "psc/core/datapaths.h"

#include <QAction>
#include <QApplication>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QStyle>
#include <QTableView>

#include <cmath>

namespace psc {
namespace {

const QString kLastConfigKey = QStringLiteral("compress/lastConfig");

QString metricText(const Trial &t, const char *name, const QString &label)
{
    const MetricRef metric{name, {}};
    const auto value = metricValue(t, metric);
    return value ? label.arg(formatMetricValue(metric, *value)) : QString();
}

} // namespace

CompressController::CompressController(StudyController *controller, StudyView *view, TrialInspector *inspector,
                                       QWidget *window)
    : QObject(window), m_controller(controller), m_view(view), m_window(window)
{
    m_action = new QAction(
        QIcon::fromTheme(QStringLiteral("archive-extract"), QApplication::style()->standardIcon(QStyle::SP_ArrowDown)),
        tr("&Compress Trial…"), this);
    m_action->setObjectName(QStringLiteral("compressAction"));
    m_action->setShortcut(Qt::CTRL | Qt::Key_K);
    connect(m_action, &QAction::triggered, this, &CompressController::compressSelected);

    view->table()->setContextMenuPolicy(Qt::ActionsContextMenu);
    view->table()->addAction(m_action);
    inspector->addCornerAction(m_action);

    connect(view, &StudyView::selectedTrialChanged, this, &CompressController::updateAction);
    connect(controller, &StudyController::trialsChanged, this, &CompressController::updateAction);
    connect(controller, &StudyController::studyOpened, this, &CompressController::updateAction);
    connect(controller, &StudyController::studyClosed, this, &CompressController::updateAction);
    connect(controller, &StudyController::runStarted, this, &CompressController::updateAction);
    connect(controller, &StudyController::runFinished, this, &CompressController::updateAction);
    connect(controller, &StudyController::compressionFinished, this, &CompressController::onCompressionFinished);
    updateAction();
}

CompressController::~CompressController() = default;

CompressDialog *CompressController::dialog() const
{
    return m_dialog && m_dialog->isVisible() ? m_dialog.data() : nullptr;
}

QString CompressController::bundledExample()
{
    return QString::fromStdString(paths::bundled("compress/fashion-mnist-demo.json").string());
}

QString CompressController::defaultConfigFile()
{
    const QString last = QSettings().value(kLastConfigKey).toString();
    return !last.isEmpty() && QFileInfo::exists(last) ? last : bundledExample();
}

void CompressController::updateAction()
{
    const TrialTableModel *model = m_view->model();
    const Trial *trial = model->trialAt(model->rowOfTrial(m_view->selectedTrial()));
    QString why;
    if (!m_controller->hasStudy())
        why = tr("Open a study and select a trained trial to compress it");
    else if (m_controller->isRunning())
        why = m_controller->isCompressing() ? tr("A compression is running; wait for it or cancel it")
                                            : tr("The study is running; wait for it or cancel it to compress a trial");
    else if (!trial)
        why = tr("Select a trained (complete) trial to compress it");
    else
        why = m_controller->whyNoTrainedModel(*trial, tr("compress"));
    m_action->setEnabled(why.isEmpty());
    m_action->setToolTip(why.isEmpty() ? tr("Derive quantised, pruned or factorised variants of trial %1: each is "
                                            "fine-tuned and added to the study as a new trial linked to it")
                                             .arg(trial->number)
                                       : why);
    m_action->setStatusTip(m_action->toolTip());
}

void CompressController::compressSelected()
{
    updateAction();
    // A dialog that was accepted or cancelled is hidden and only waits for its deferred delete: open a new one.
    if (!m_action->isEnabled() || (m_dialog && m_dialog->isVisible()))
        return;
    const TrialTableModel *model = m_view->model();
    const Trial trial = *model->trialAt(model->rowOfTrial(m_view->selectedTrial()));
    const qint64 number = trial.number;
    const QString studyPath = m_controller->studyPath();

    auto *dialog = new CompressDialog(m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    dialog->setWindowTitle(tr("Compress Trial %1").arg(number));
    QStringList figures;
    figures << metricText(trial, "deployed_accuracy", tr("deployed accuracy %1"))
            << metricText(trial, "weight_bytes", tr("weights %1"));
    figures.removeAll(QString());
    QString text = tr("<b>Trial %1</b>").arg(number);
    if (!figures.isEmpty())
        text += QStringLiteral(": ") + figures.join(QStringLiteral(", ")).toHtmlEscaped();
    if (const QString sketch = architectureSummary(trial); !sketch.isEmpty())
        text += QStringLiteral("<br>") + sketch.toHtmlEscaped();
    dialog->setTrialText(text);
    // Checked against the trial as the job will check it, so an unknown layer shows before Start.
    dialog->setCheck(m_controller->compressionCheck(number));
    dialog->setConfigFile(defaultConfigFile());
    connect(dialog, &QDialog::accepted, this, [this, number, studyPath] { start(number, studyPath); });
    m_dialog = dialog;
    dialog->open();
}

void CompressController::start(qint64 parentNumber, const QString &studyPath)
{
    if (!m_dialog || !m_dialog->config())
        return;
    try {
        if (m_controller->studyPath() != studyPath)
            throw std::runtime_error("the study was closed while the dialog was open");
        m_controller->compress(parentNumber, *m_dialog->config());
        QSettings().setValue(kLastConfigKey, QFileInfo(m_dialog->configFile()).absoluteFilePath());
    } catch (const std::exception &e) {
        warn(tr("Cannot compress trial %1").arg(parentNumber), QString::fromUtf8(e.what()));
    }
}

void CompressController::onCompressionFinished(JobStatus, const CompressionSummary &summary)
{
    // The study's run reports the summary in the status bar; failed variants also need their reasons, which only
    // the trial table shows otherwise.
    QStringList failed;
    for (const CompressedChild &c : summary.children)
        if (c.trial.state == TrialState::Failed)
            failed << tr("%1 (trial %2): %3")
                          .arg(QString::fromStdString(c.variant))
                          .arg(c.trial.number)
                          .arg(QString::fromStdString(c.trial.error));
    if (!failed.isEmpty())
        warn(tr("Some variants of trial %1 failed").arg(summary.parent.number),
             tr("%1\n\nThe other variants were kept.").arg(failed.join(QStringLiteral("\n"))));
}

void CompressController::warn(const QString &title, const QString &text)
{
    // Window-modal and asynchronous, like the main window's error boxes.
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, m_window);
    box->setObjectName(QStringLiteral("compressMessage"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->open();
}

} // namespace psc
