// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "views/newstudydialog.h"

#include <QObject>
#include <QPointer>

#include <functional>

class QAction;
class QWidget;

namespace psc {

class StudyController;

/**
 * *File ▸ New Study…* (Ctrl+N): the New Study form (NewStudyDialog) filled from the engine's registries (datasets,
 * bundled spaces, strategies, model metrics, every loaded target's metrics) and checked by it as the user types
 * (StudyController::checkSpec()). *Create…* asks where to keep the spec (never inside the bundled data), writes it
 * atomically and hands it to `create` (the main window then asks for the study file and runs it).
 * *File ▸ New Study from Spec File…* (Ctrl+Shift+N) is the same with a spec written by hand. GUI thread only.
 */
class NewStudyController : public QObject
{
    Q_OBJECT
public:
    NewStudyController(StudyController *controller, QWidget *window, std::function<void(const QString &spec)> create);

    QAction *formAction() const { return m_form; }
    QAction *specFileAction() const { return m_specFile; }
    /** Opens the form (window-modal, asynchronous) and returns it. */
    NewStudyDialog *openForm();
    /** The form opened last, while it is open. */
    NewStudyDialog *form() const { return m_dialog; }
    /** Writes `json` to `path` atomically and goes on with create(path); returns "" or why it could not. */
    QString saveSpecAndCreate(const QString &json, const QString &path);
    /** What the form offers. */
    NewStudyChoices choices();

Q_SIGNALS:
    void errorOccurred(const QString &title, const QString &text);

private:
    void askSpecPath(const QString &json, const QString &name);
    void chooseSpecFile();
    /** Where specs go: the last spec folder unless it is inside the bundled data, else the user's documents. */
    QString specDirectory() const;

    StudyController *m_controller = nullptr;
    QWidget *m_window = nullptr;
    std::function<void(const QString &)> m_create;
    QAction *m_form = nullptr;
    QAction *m_specFile = nullptr;
    QPointer<NewStudyDialog> m_dialog;
};

} // namespace psc
