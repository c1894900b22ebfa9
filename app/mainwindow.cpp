// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "compresscontroller.h"
#include "driftcontroller.h"
#include "exportcontroller.h"
#include "helpwindows.h"
#include "importcontroller.h"
#include "newstudycontroller.h"
#include "presentationcontroller.h"
#include "recentfiles.h"
#include "reportcontroller.h"
#include "shortlistcontroller.h"
#include "studycontroller.h"

#include "models/trialfilter.h"
#include "models/trialset.h"
#include "models/trialsummary.h"
#include "models/trialtablemodel.h"
#include "plot/paretoplotwidget.h"
#include "views/deploymentview.h"
#include "views/studyview.h"
#include "views/trialcostview.h"
#include "views/trialinspector.h"

#include "psc/core/datapaths.h"
#include "psc/core/error.h"
#include "psc/study/studylocation.h"
#include "psc/study/studywriter.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>

#include <algorithm>

namespace psc {
namespace {

QIcon themeIcon(const char *name, QStyle::StandardPixmap fallback)
{
    return QIcon::fromTheme(QLatin1String(name), QApplication::style()->standardIcon(fallback));
}

} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent), m_controller(new StudyController(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true); // a study or a spec dropped on the window opens it
    m_view = new StudyView(this);
    setCentralWidget(m_view);
    m_inspector = new TrialInspector(this);
    m_costView = m_inspector->costView();
    m_costDock = new QDockWidget(tr("Trial inspector"), this);
    m_costDock->setObjectName(QStringLiteral("trialCostDock"));
    m_costDock->setToolTip(tr("The selected trial's layers and compression, its cost per layer and its fit on every "
                              "hardware target"));
    m_costDock->setWidget(m_inspector);
    addDockWidget(Qt::BottomDockWidgetArea, m_costDock);
    connect(m_view, &StudyView::selectedTrialChanged, this, &MainWindow::showTrialCost);
    m_compress = new CompressController(m_controller, m_view, m_inspector, this);
    m_export = new ExportController(m_controller, m_view, m_inspector, this);
    m_import = new ImportController(m_controller, this);
    m_drift = new DriftController(m_controller, m_view, this);
    m_drift->setCurvePlot(m_inspector->analogDrift());
    m_shortlist = new ShortlistController(m_controller, m_view, this);
    m_report = new ReportController(m_controller, m_view, this);
    m_presentation = new PresentationController(m_controller, m_view, m_shortlist, this);
    createActions();
    createMenus();
    createStatusBar();
    connectController();
    restoreSettings();
    updateTitle();
    updateActions();
    updateCounts();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    m_newStudy =
        new NewStudyController(m_controller, this, [this](const QString &spec) { askStudyPathAndCreate(spec); });
    connect(m_newStudy, &NewStudyController::errorOccurred, this, &MainWindow::showError);
    m_newAction = m_newStudy->formAction();

    m_openAction = new QAction(themeIcon("document-open", QStyle::SP_DialogOpenButton), tr("&Open…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setToolTip(tr("Open a study file (.psc) to browse its trials; safe while another process runs it"));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::openInteractive);

    m_openServerAction =
        new QAction(themeIcon("network-server", QStyle::SP_DriveNetIcon), tr("Open &Server Study…"), this);
    m_openServerAction->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_O);
    m_openServerAction->setToolTip(tr("Open a study kept on a PostgreSQL server by its URL "
                                      "(postgresql://user@host:port/database?study=NAME); it updates live while "
                                      "other machines run it"));
    connect(m_openServerAction, &QAction::triggered, this, &MainWindow::openServerInteractive);

    m_savePlotAction =
        new QAction(themeIcon("document-save-as", QStyle::SP_DialogSaveButton), tr("Save &Plot As…"), this);
    m_savePlotAction->setShortcut(QKeySequence::SaveAs);
    m_savePlotAction->setToolTip(tr("Save the Pareto plot as PNG, SVG or PDF"));
    connect(m_savePlotAction, &QAction::triggered, this, &MainWindow::savePlotInteractive);

    m_quitAction = new QAction(themeIcon("application-exit", QStyle::SP_DialogCloseButton), tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setToolTip(tr("Quit Paretoscope (a running study is cancelled; Run resumes it later)"));
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_runAction = new QAction(themeIcon("media-playback-start", QStyle::SP_MediaPlay), tr("&Run"), this);
    m_runAction->setObjectName(QStringLiteral("runAction"));
    m_runAction->setShortcut(Qt::Key_F5);
    connect(m_runAction, &QAction::triggered, this, &MainWindow::runOrResume);

    m_pauseAction = new QAction(themeIcon("media-playback-pause", QStyle::SP_MediaPause), tr("&Pause"), this);
    m_pauseAction->setObjectName(QStringLiteral("pauseAction"));
    m_pauseAction->setShortcut(Qt::Key_F6);
    m_pauseAction->setToolTip(tr("Pause: trainings stop at their next batch and wait"));
    connect(m_pauseAction, &QAction::triggered, this, &MainWindow::togglePause);

    m_cancelAction = new QAction(themeIcon("process-stop", QStyle::SP_BrowserStop), tr("&Cancel"), this);
    m_cancelAction->setObjectName(QStringLiteral("cancelAction"));
    m_cancelAction->setShortcut(Qt::SHIFT | Qt::Key_F5);
    m_cancelAction->setToolTip(tr("Stop the study; finished trials are kept and Resume continues it"));
    connect(m_cancelAction, &QAction::triggered, m_controller, &StudyController::cancel);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setToolTipsVisible(true);
    file->addAction(m_newAction);
    file->addAction(m_newStudy->specFileAction());
    file->addAction(m_openAction);
    file->addAction(m_openServerAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recent = new RecentFiles(m_recentMenu, this);
    connect(m_recent, &RecentFiles::fileChosen, this, &MainWindow::openStudy);
    file->addSeparator();
    file->addAction(m_savePlotAction);
    file->addAction(m_report->action());
    file->addAction(m_export->action());
    file->addAction(m_import->action());
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *study = menuBar()->addMenu(tr("&Study"));
    study->setToolTipsVisible(true);
    study->addAction(m_runAction);
    study->addAction(m_pauseAction);
    study->addAction(m_cancelAction);
    study->addSeparator();
    study->addAction(m_compress->action());

    QMenu *trial = menuBar()->addMenu(tr("&Trial"));
    trial->setToolTipsVisible(true);
    trial->addAction(m_shortlist->starAction());
    trial->addAction(m_shortlist->noteAction());
    trial->addAction(m_shortlist->compareAction());

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *costToggle = m_costDock->toggleViewAction();
    costToggle->setToolTip(tr("Show or hide the trial inspector: the selected trial's layers, compression and cost"));
    view->addAction(costToggle);
    view->addSeparator();
    view->addMenu(m_presentation->menu());
    view->addSeparator();
    auto *fullScreen = view->addAction(tr("&Full Screen"));
    fullScreen->setObjectName(QStringLiteral("fullScreenAction"));
    fullScreen->setCheckable(true);
    fullScreen->setShortcuts({QKeySequence(Qt::Key_F11)});
    fullScreen->setToolTip(tr("Use the whole screen for the window (F11 again to leave)"));
    connect(fullScreen, &QAction::toggled, this, [this](bool on) { on ? showFullScreen() : showNormal(); });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setToolTipsVisible(true);
    auto *docs = help->addAction(tr("&Documentation"), this, [this] {
        auto *window = new DocumentationWindow(this);
        window->setAttribute(Qt::WA_DeleteOnClose);
        window->show();
    });
    docs->setObjectName(QStringLiteral("documentationAction"));
    docs->setShortcut(QKeySequence::HelpContents);
    docs->setToolTip(tr("How to use Paretoscope: the GUI, the file formats and the models behind every number"));
    auto *shortcuts = help->addAction(tr("&Keyboard Shortcuts"), this, [this] {
        auto *dialog = new ShortcutsDialog(this, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->show();
    });
    shortcuts->setObjectName(QStringLiteral("shortcutsAction"));
    help->addSeparator();
    help->addAction(tr("&About Paretoscope"), this, &MainWindow::about);

    QToolBar *tools = addToolBar(tr("Main"));
    tools->setObjectName(QStringLiteral("mainToolBar"));
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->addAction(m_newAction);
    tools->addAction(m_openAction);
    tools->addAction(m_savePlotAction);
    tools->addSeparator();
    tools->addAction(m_runAction);
    tools->addAction(m_pauseAction);
    tools->addAction(m_cancelAction);
}

void MainWindow::createStatusBar()
{
    m_statusText = new QLabel(this);
    m_statusText->setObjectName(QStringLiteral("statusText"));
    m_countsText = new QLabel(this);
    m_countsText->setToolTip(tr("Trials in the study by state"));
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(220);
    m_progress->setTextVisible(true);
    m_progress->setFormat(QStringLiteral("%p%"));
    m_progress->setToolTip(tr("Progress toward the study's budget"));
    m_cancelButton = new QToolButton(this);
    m_cancelButton->setDefaultAction(m_cancelAction);
    m_cancelButton->setAutoRaise(true);
    statusBar()->addWidget(m_statusText, 1);
    statusBar()->addPermanentWidget(m_countsText);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancelButton);
    m_progress->hide();
    m_cancelButton->hide();
}

void MainWindow::connectController()
{
    connect(m_export, &ExportController::statusMessage, m_statusText, &QLabel::setText);
    connect(m_import, &ImportController::statusMessage, m_statusText, &QLabel::setText);
    connect(m_drift, &DriftController::statusMessage, m_statusText, &QLabel::setText);
    connect(m_shortlist, &ShortlistController::statusMessage, m_statusText, &QLabel::setText);
    connect(m_report, &ReportController::statusMessage, m_statusText, &QLabel::setText);
    connect(m_presentation, &PresentationController::statusMessage, m_statusText, &QLabel::setText);
    connect(m_import, &ImportController::imported, this, [this](qint64 id) { m_view->selectTrial(id); });
    connect(m_export, &ExportController::exported, this, [this](qint64 id) {
        if (m_view->selectedTrial() == id)
            showTrialCost(id);
    });
    connect(m_controller, &StudyController::studyOpened, this, &MainWindow::onStudyOpened);
    connect(m_controller, &StudyController::studyClosed, this, &MainWindow::onStudyClosed);
    connect(m_controller, &StudyController::trialsChanged, this, &MainWindow::onTrialsChanged);
    connect(m_controller, &StudyController::runStarted, this, &MainWindow::onRunStarted);
    connect(m_controller, &StudyController::runProgress, this, &MainWindow::onRunProgress);
    connect(m_controller, &StudyController::pausedChanged, this, &MainWindow::updateActions);
    connect(m_controller, &StudyController::runFinished, this, &MainWindow::onRunFinished);
    connect(m_view->filter(), &TrialFilter::changed, this, &MainWindow::saveFilter);
    // Whether another process writes the open study changes without telling us: looked at every two seconds.
    auto *writerCheck = new QTimer(this);
    writerCheck->setInterval(2000);
    connect(writerCheck, &QTimer::timeout, this, [this] {
        if (m_controller->hasStudy() && !m_controller->isRunning())
            updateActions();
    });
    writerCheck->start();
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    // First start: 1400x860, or less on a smaller screen (a laptop's 1280x720), so nothing is cut off.
    const QSize available = screen() ? screen()->availableGeometry().size() : QSize(1400, 860);
    if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray()))
        resize(QSize(1400, 860).boundedTo(available * 0.95));
    if (!restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray())) {
        // First start: give the trial inspector room once the window has its size, at most a third of the height.
        const int dock = std::min(380, available.height() / 3);
        QTimer::singleShot(0, this, [this, dock] { resizeDocks({m_costDock}, {dock}, Qt::Vertical); });
    }
    if (!m_view->splitter()->restoreState(settings.value(QStringLiteral("mainWindow/splitter")).toByteArray()))
        m_view->splitter()->setSizes({640, 760});
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    settings.setValue(QStringLiteral("mainWindow/splitter"), m_view->splitter()->saveState());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_controller->isRunning()) {
        // Stop the run and close once it has: the trainings stop at their next batch, their trials go back to
        // pending and the study file is closed cleanly. Meanwhile the window stays responsive and says so.
        if (!m_closing) {
            m_closing = true;
            m_statusText->setText(tr("Stopping the run before closing…"));
            connect(m_controller, &StudyController::runFinished, this, &QWidget::close, Qt::QueuedConnection);
            m_controller->cancel();
        }
        event->ignore();
        return;
    }
    saveSettings();
    event->accept();
}

bool MainWindow::openStudy(const QString &path)
{
    try {
        m_controller->openStudy(path);
        return true;
    } catch (const std::exception &e) {
        showError(tr("Cannot open the study"), QString::fromUtf8(e.what()));
        return false;
    }
}

bool MainWindow::selectTrialNumber(qint64 number)
{
    const std::vector<Trial> &trials = m_view->model()->trials();
    for (const Trial &t : trials)
        if (t.number == number) {
            m_view->selectTrial(t.id);
            return true;
        }
    QString have = tr("it has no trials");
    if (!trials.empty()) {
        qint64 lowest = trials.front().number, highest = trials.front().number;
        for (const Trial &t : trials) {
            lowest = std::min<qint64>(lowest, t.number);
            highest = std::max<qint64>(highest, t.number);
        }
        have = tr("its trials are numbered %1 to %2").arg(lowest).arg(highest);
    }
    m_statusText->setText(tr("No trial %1 in this study: %2").arg(number).arg(have));
    return false;
}

bool MainWindow::newStudy(const QString &specPath, const QString &studyPath)
{
    try {
        m_controller->newStudy(specPath, studyPath);
        setLastDirectory(studyPath);
        return true;
    } catch (const std::exception &e) {
        showError(tr("Cannot start the study"), QString::fromUtf8(e.what()));
        return false;
    }
}

bool MainWindow::savePlot(const QString &path)
{
    QString error;
    if (m_view->plot()->save(path, {}, &error)) {
        m_statusText->setText(tr("Saved the plot to %1").arg(QDir::toNativeSeparators(path)));
        return true;
    }
    showError(tr("Cannot save the plot"), error);
    return false;
}

void MainWindow::askStudyPathAndCreate(const QString &spec)
{
    QString suggested;
    try {
        suggested = suggestedStudyPath(spec);
    } catch (const std::exception &e) {
        showError(tr("Cannot read the study spec"), QString::fromUtf8(e.what()));
        return;
    }
    // Window-modal and asynchronous, as the error boxes: a drop returns at once and the window keeps painting.
    auto *dialog = new QFileDialog(this, tr("New Study — Save the Study File As"), QFileInfo(suggested).absolutePath(),
                                   tr("Study files (*.psc)"));
    dialog->setObjectName(QStringLiteral("newStudySaveDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("psc"));
    dialog->setOption(QFileDialog::DontConfirmOverwrite); // the engine refuses an existing study itself
    dialog->selectFile(QFileInfo(suggested).fileName());
    connect(dialog, &QFileDialog::fileSelected, this, [this, spec](const QString &db) {
        newStudy(spec, QFileInfo(db).suffix().isEmpty() ? db + QStringLiteral(".psc") : db);
    });
    dialog->open();
}

bool MainWindow::openDroppedFile(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isFile()) {
        showError(tr("Cannot open the dropped file"), tr("%1: not a file").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    if (info.suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) == 0) {
        askStudyPathAndCreate(info.absoluteFilePath());
        return true;
    }
    return openStudy(info.absoluteFilePath());
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    // One local file: a study or a spec (what it is, is decided on the drop, with a message if neither).
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.front().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.front().isLocalFile())
        return;
    event->acceptProposedAction();
    // After the drop has returned to the source application.
    const QString path = urls.front().toLocalFile();
    QTimer::singleShot(0, this, [this, path] { openDroppedFile(path); });
}

void MainWindow::openInteractive()
{
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open Study"), lastDirectory(), tr("Study files (*.psc);;All files (*)"));
    if (!path.isEmpty())
        openStudy(path);
}

void MainWindow::openServerInteractive()
{
    bool ok = false;
    QSettings settings;
    const QString url = QInputDialog::getText(
                            this, tr("Open Server Study"),
                            tr("Study URL, e.g. postgresql://ana@lab-server:5432/studies?study=kws-m4\n"
                               "(the password comes from ~/.pgpass, PGPASSWORD or a service file, never from the URL)"),
                            QLineEdit::Normal, settings.value(QStringLiteral("lastServerStudy")).toString(), &ok)
                            .trimmed();
    if (!ok || url.isEmpty())
        return;
    settings.setValue(QStringLiteral("lastServerStudy"), url);
    openStudy(url);
}

void MainWindow::savePlotInteractive()
{
    const QString png = tr("PNG image (*.png)"), svg = tr("SVG image (*.svg)"), pdf = tr("PDF document (*.pdf)");
    const QString base = QString::fromStdString(m_controller->spec().name) + QStringLiteral("-pareto.png");
    QString filter = png;
    QString path = QFileDialog::getSaveFileName(this, tr("Save Plot As"), QDir(lastDirectory()).filePath(base),
                                                QStringList{png, svg, pdf}.join(QStringLiteral(";;")), &filter);
    if (path.isEmpty())
        return;
    if (!ParetoPlotWidget::saveFormats().contains(QFileInfo(path).suffix().toLower()))
        path += filter == svg   ? QStringLiteral(".svg")
                : filter == pdf ? QStringLiteral(".pdf")
                                : QStringLiteral(".png");
    setLastDirectory(path);
    savePlot(path);
}

void MainWindow::about()
{
    QMessageBox::about(this, tr("About Paretoscope"),
                       tr("<h3>Paretoscope %1</h3><p>Design-space exploration for tiny neural networks: search, "
                          "train and compare candidate networks by accuracy and cost.</p><p>Licensed under the GNU "
                          "GPL version 3 or later.</p>")
                           .arg(QCoreApplication::applicationVersion()));
}

void MainWindow::saveFilter()
{
    if (m_restoringFilter || !m_controller->hasStudy())
        return;
    const TrialFilter *filter = m_view->filter();
    QJsonArray ranges;
    for (const TrialFilter::Range &r : filter->ranges())
        ranges.append(QJsonObject{{QStringLiteral("metric"), QString::fromStdString(r.metric.toString())},
                                  {QStringLiteral("low"), r.low},
                                  {QStringLiteral("high"), r.high}});
    const QJsonObject kept{{QStringLiteral("expression"), filter->expression()}, {QStringLiteral("ranges"), ranges}};
    const QString error = m_controller->setStudyMeta(
        QStringLiteral("gui_filter"), QString::fromUtf8(QJsonDocument(kept).toJson(QJsonDocument::Compact)));
    if (!error.isEmpty())
        m_statusText->setText(tr("The filter is not saved with the study: %1").arg(error));
}

void MainWindow::restoreFilter()
{
    const std::optional<QString> kept = m_controller->studyMeta(QStringLiteral("gui_filter"));
    if (!kept)
        return;
    // A kept filter this version cannot read (edited by hand, a metric gone) is skipped, never an error on open.
    const QJsonObject json = QJsonDocument::fromJson(kept->toUtf8()).object();
    m_restoringFilter = true;
    TrialFilter *filter = m_view->filter();
    for (const QJsonValue &v : json.value(QStringLiteral("ranges")).toArray()) {
        const QJsonObject r = v.toObject();
        if (const auto metric = parseMetricRef(r.value(QStringLiteral("metric")).toString().toStdString()))
            filter->setRange(*metric, r.value(QStringLiteral("low")).toDouble(),
                             r.value(QStringLiteral("high")).toDouble());
    }
    const QString expression = json.value(QStringLiteral("expression")).toString();
    if (!expression.isEmpty())
        filter->setExpression(expression, m_view->plot()->availableMetrics());
    m_restoringFilter = false;
}

void MainWindow::onStudyOpened()
{
    m_restoringFilter = true;                   // the view clears the last study's filter: not this study's to save
    m_view->setStudy(m_controller->spec(), {}); // the trials follow in trialsChanged()
    m_restoringFilter = false;
    restoreFilter();
    m_shortlist->restore();
    m_presentation->restore();
    // The bundled targets load on the first study (a few milliseconds), not at start-up.
    m_costView->setTargetLibrary(m_controller->targets());
    m_costView->setStudyTargets(m_view->plot()->targets());
    m_recent->add(m_controller->studyPath());
    setLastDirectory(m_controller->studyPath());
    if (!m_controller->isRunning()) {
        // Stored costs made by another cost model version than this build's are labelled as such.
        const QStringList notes = m_controller->costModelNotes();
        m_statusText->setText(notes.isEmpty()
                                  ? tr("Opened %1").arg(QDir::toNativeSeparators(m_controller->studyPath()))
                                  : tr("Opened %1: stored costs come from other cost model versions (hover for which)")
                                        .arg(QDir::toNativeSeparators(m_controller->studyPath())));
        m_statusText->setToolTip(notes.join(QLatin1Char('\n')));
    }
    updateTitle();
    updateActions();
    updateCounts();
}

void MainWindow::onStudyClosed()
{
    m_view->clear();
    m_inspector->clear();
    updateTitle();
    updateActions();
    updateCounts();
}

void MainWindow::onTrialsChanged(const std::vector<Trial> &changed)
{
    m_view->upsertTrials(m_drift->rescored(changed)); // analog accuracy at the drift time chosen
    const qint64 selected = m_view->selectedTrial();
    if (selected >= 0 &&
        std::any_of(changed.begin(), changed.end(), [selected](const Trial &t) { return t.id == selected; }))
        showTrialCost(selected);
    // The counts come from the trials shown (the study file's own count took 5-10 ms at 100,000 trials); whether Run
    // is still possible (another process may reach the budget) is looked at by the two-second check.
    updateCounts();
}

void MainWindow::showTrialCost(qint64 id)
{
    const TrialTableModel *model = m_view->model();
    const Trial *trial = model->trialAt(model->rowOfTrial(id));
    if (!trial) {
        m_inspector->clear();
        m_drift->showCurves(nullptr);
        return;
    }
    if (!m_controller->targets() && !m_controller->targetsError().isEmpty())
        m_statusText->setText(tr("Hardware targets not loaded: %1").arg(m_controller->targetsError()));
    const WeightValues weights = m_controller->weightValues(*trial);
    m_inspector->setTrial(*trial, trial->parentId ? model->trialAt(model->rowOfTrial(*trial->parentId)) : nullptr,
                          &weights);
    m_inspector->deploymentView()->setExports(*trial, m_controller->exports(trial->id));
    m_inspector->setSummary(trialDetailsHtml(*trial, m_controller->spec(), model->isOnFront(model->rowOfTrial(id)),
                                             m_view->trialSet()->trials()));
    m_inspector->setStudyCurves(*trial, m_view->trialSet()->trials());
    m_drift->showCurves(trial);
}

void MainWindow::onRunStarted(const QString &title)
{
    m_progress->setValue(0);
    m_progress->show();
    m_cancelAction->setToolTip(m_controller->isCompressing()
                                   ? tr("Stop the compression; finished variants are kept and compressing the trial "
                                        "again with the same config finishes the rest")
                                   : tr("Stop the study; finished trials are kept and Resume continues it"));
    m_cancelButton->show();
    m_statusText->setText(tr("%1: starting…").arg(title));
    updateActions();
}

void MainWindow::onRunProgress(double fraction, const QString &text)
{
    m_progress->setValue(int(fraction * 1000.0));
    m_statusText->setText(m_controller->isPaused() ? tr("Paused — %1").arg(text) : text);
}

void MainWindow::onRunFinished(JobStatus status, const QString &message)
{
    m_progress->hide();
    m_cancelButton->hide();
    m_statusText->setText(message);
    if (status == JobStatus::Failed)
        showError(tr("%1 stopped").arg(m_controller->runTitle()), message);
    updateActions();
    updateCounts();
}

void MainWindow::runOrResume()
{
    try {
        m_controller->run();
    } catch (const std::exception &e) {
        showError(tr("Cannot run the study"), QString::fromUtf8(e.what()));
    }
}

void MainWindow::togglePause()
{
    if (m_controller->isPaused())
        m_controller->resume();
    else
        m_controller->pause();
    m_statusText->setText(m_controller->isPaused() ? tr("Paused: trainings wait at their next batch")
                                                   : tr("Continuing…"));
}

void MainWindow::updateActions()
{
    const bool running = m_controller->isRunning();
    const bool paused = m_controller->isPaused();
    const bool study = m_controller->hasStudy();
    const TrialCounts counts = m_controller->counts();
    const QString budgetSpent = m_controller->budgetSpent();
    const bool budgetReached = !budgetSpent.isEmpty();
    // Another process (a `paretoscope run` in a terminal, another window) writing the study: it updates here live, and
    // Run would only be refused.
    const QString writer =
        study && !running ? QString::fromStdString(studyWriter(m_controller->studyPath().toStdString())) : QString();

    m_newAction->setEnabled(!running);
    m_openAction->setEnabled(!running);
    m_recentMenu->setEnabled(!running && !m_recent->files().isEmpty());
    m_savePlotAction->setEnabled(study);
    m_runAction->setEnabled(study && !running && !budgetReached && writer.isEmpty());
    m_runAction->setText(counts.total() > 0 ? tr("&Resume") : tr("&Run"));
    m_runAction->setToolTip(!writer.isEmpty() ? tr("The study is being run by %1; its trials appear here as they "
                                                   "finish")
                                                    .arg(writer)
                            : budgetReached ? tr("Nothing left to run: %1").arg(budgetSpent)
                            : counts.total() > 0
                                ? tr("Continue the study to its budget; trials interrupted earlier are trained again")
                                : tr("Run the study to its budget"));
    m_pauseAction->setEnabled(running);
    m_pauseAction->setText(paused ? tr("Con&tinue") : tr("&Pause"));
    m_pauseAction->setIcon(paused ? themeIcon("media-playback-start", QStyle::SP_MediaPlay)
                                  : themeIcon("media-playback-pause", QStyle::SP_MediaPause));
    m_cancelAction->setEnabled(running);
}

void MainWindow::updateCounts()
{
    if (!m_controller->hasStudy()) {
        m_countsText->clear();
        return;
    }
    TrialCounts c;
    for (const TrialSet::Facts &f : m_view->trialSet()->facts())
        switch (f.state) {
        case TrialState::Pending:
            ++c.pending;
            break;
        case TrialState::Running:
            ++c.running;
            break;
        case TrialState::Complete:
            ++c.complete;
            break;
        case TrialState::Failed:
            ++c.failed;
            break;
        case TrialState::Infeasible:
            ++c.infeasible;
            break;
        case TrialState::Pruned:
            ++c.pruned;
            break;
        }
    QString text = tr("%1 trials: %2 complete").arg(c.total()).arg(c.complete);
    if (c.running)
        text += tr(", %1 running").arg(c.running);
    if (c.pruned)
        text += tr(", %1 pruned").arg(c.pruned);
    if (c.infeasible)
        text += tr(", %1 infeasible").arg(c.infeasible);
    if (c.failed)
        text += tr(", %1 failed").arg(c.failed);
    m_countsText->setText(text);
}

void MainWindow::updateTitle()
{
    if (!m_controller->hasStudy()) {
        setWindowTitle(tr("Paretoscope"));
        return;
    }
    // A study on storage this user cannot write (a colleague's share, a read-only mount) is shown read-only.
    setWindowTitle(
        tr("%1 (%2)%3 — Paretoscope")
            .arg(QString::fromStdString(m_controller->spec().name),
                 StudyLocation::isUrl(m_controller->studyPath().toStdString())
                     ? m_controller->studyPath()
                     : QFileInfo(m_controller->studyPath()).fileName(),
                 m_controller->isReadOnlyStorage() ? tr(" [read-only: the folder is not writable]") : QString()));
}

void MainWindow::showError(const QString &title, const QString &text)
{
    // Window-modal and asynchronous: no nested event loop, and the study keeps running behind it.
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->open();
    m_statusText->setText(title);
}

QString MainWindow::suggestedStudyPath(const QString &specPath) const
{
    const QString name = QString::fromStdString(StudySpec::fromFile(specPath.toStdString()).name);
    QString dir = lastDirectory();
    // Never inside the bundled data (a build tree's resources/ or an installed share/paretoscope).
    const QString bundled = QDir(QString::fromStdString(paths::dataDir().string())).canonicalPath();
    const QString canonicalDir = QDir(dir).canonicalPath();
    if (canonicalDir.isEmpty() || canonicalDir == bundled || canonicalDir.startsWith(bundled + QLatin1Char('/')) ||
        !QFileInfo(dir).isWritable())
        dir = defaultDocumentsDirectory();
    return QDir(dir).filePath((name.isEmpty() ? QFileInfo(specPath).completeBaseName() : name) +
                              QStringLiteral(".psc"));
}

QString MainWindow::defaultDocumentsDirectory()
{
    const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return !documents.isEmpty() && QFileInfo(documents).isDir() ? documents : QDir::homePath();
}

QString MainWindow::lastDirectory() const
{
    return QSettings().value(QStringLiteral("dialogs/lastDirectory"), defaultDocumentsDirectory()).toString();
}

void MainWindow::setLastDirectory(const QString &fileOrDir)
{
    const QFileInfo info(fileOrDir);
    QSettings().setValue(QStringLiteral("dialogs/lastDirectory"),
                         info.isDir() ? info.absoluteFilePath() : info.absolutePath());
}

} // namespace psc
