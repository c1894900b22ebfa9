// SPDX-License-Identifier: GPL-3.0-or-later
#include "newstudycontroller.h"

#include "studycontroller.h"

#include "psc/core/atomicfile.h"
#include "psc/core/datapaths.h"
#include "psc/study/metrics.h"
#include "psc/study/studyspec.h"
#include "psc/targets/targetlibrary.h"
#include "psc/targets/targetmetrics.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>
#include <QStyle>

namespace psc {
namespace {
const QString kSpecDirectoryKey = QStringLiteral("dialogs/lastSpecDirectory");
}

NewStudyController::NewStudyController(StudyController *controller, QWidget *window,
                                       std::function<void(const QString &spec)> create)
    : QObject(window), m_controller(controller), m_window(window), m_create(std::move(create))
{
    m_form = new QAction(
        QIcon::fromTheme(QStringLiteral("document-new"), window->style()->standardIcon(QStyle::SP_FileIcon)),
        tr("&New Study…"), this);
    m_form->setObjectName(QStringLiteral("newStudyAction"));
    m_form->setShortcut(QKeySequence::New);
    m_form->setToolTip(tr("Build a study in a form: dataset, search space, objectives, constraints, strategy, budget "
                          "and training; checked as you type, then saved as a spec and run"));
    connect(m_form, &QAction::triggered, this, [this] { openForm(); });
    m_specFile = new QAction(tr("New Study from Spec &File…"), this);
    m_specFile->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_N);
    m_specFile->setToolTip(tr("Choose a study spec (JSON) written by hand and a new study file, then run the study"));
    connect(m_specFile, &QAction::triggered, this, &NewStudyController::chooseSpecFile);
}

NewStudyChoices NewStudyController::choices()
{
    NewStudyChoices c;
    for (const std::string &d : knownDatasets())
        c.datasets << QString::fromStdString(d);
    const QDir spaces(QString::fromStdString(paths::bundled("spaces").string()));
    for (const QFileInfo &f : spaces.entryInfoList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
        c.spaces.insert(f.completeBaseName(), f.absoluteFilePath());
    c.strategies = m_controller->strategyIds();
    for (const MetricInfo &m : modelMetrics())
        c.modelMetrics.push_back(MetricRef{std::string(m.name), {}});
    if (const TargetLibrary *library = m_controller->targets())
        for (const TargetDefinition *d : library->definitions())
            if (const auto target = library->target(d->id)) {
                QStringList names;
                for (const std::string &n : targetMetricNames(*target))
                    names << QString::fromStdString(n);
                c.targetMetrics.insert(QString::fromStdString(d->id), names);
            }
    c.check = [this](const QString &json) { return m_controller->checkSpec(json); };
    return c;
}

NewStudyDialog *NewStudyController::openForm()
{
    auto *dialog = new NewStudyDialog(choices(), m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { askSpecPath(dialog->specJson(), dialog->studyName()); });
    dialog->open();
    m_dialog = dialog;
    return dialog;
}

QString NewStudyController::specDirectory() const
{
    const QString bundled = QDir::cleanPath(QString::fromStdString(paths::bundled("studies").string()));
    const QString last = QSettings().value(kSpecDirectoryKey).toString();
    if (!last.isEmpty() && !QDir::cleanPath(last).startsWith(QFileInfo(bundled).absolutePath()) &&
        QFileInfo(last).isWritable())
        return last;
    return QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
}

void NewStudyController::askSpecPath(const QString &json, const QString &name)
{
    auto *dialog = new QFileDialog(m_window, tr("New Study — Save the Study Spec As"), specDirectory(),
                                   tr("Study specs (*.json)"));
    dialog->setObjectName(QStringLiteral("newStudySpecDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("json"));
    dialog->selectFile((name.isEmpty() ? QStringLiteral("study") : name) + QStringLiteral(".json"));
    connect(dialog, &QFileDialog::fileSelected, this, [this, json](const QString &path) {
        if (const QString error = saveSpecAndCreate(json, path); !error.isEmpty())
            Q_EMIT errorOccurred(tr("Cannot save the study spec"), error);
    });
    dialog->open();
}

QString NewStudyController::saveSpecAndCreate(const QString &json, const QString &path)
{
    try {
        writeFilesAtomically({{std::filesystem::path(path.toStdString()), json.toStdString() + "\n"}}, true);
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    QSettings().setValue(kSpecDirectoryKey, QFileInfo(path).absolutePath());
    m_create(QFileInfo(path).absoluteFilePath());
    return {};
}

void NewStudyController::chooseSpecFile()
{
    // Specs and studies have directories of their own: choosing a bundled spec must not send the study file into
    // the bundled (often read-only) data.
    QSettings settings;
    const QString dir =
        settings.value(kSpecDirectoryKey, QString::fromStdString(paths::bundled("studies").string())).toString();
    const QString spec = QFileDialog::getOpenFileName(m_window, tr("New Study — Choose a Study Spec"), dir,
                                                      tr("Study specs (*.json);;All files (*)"));
    if (spec.isEmpty())
        return;
    settings.setValue(kSpecDirectoryKey, QFileInfo(spec).absolutePath());
    m_create(spec);
}

} // namespace psc
