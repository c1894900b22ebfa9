// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "views/presentationwindow.h"

#include <QObject>
#include <QPointer>

class QAction;
class QMenu;
class QWidget;

namespace psc {

class Presentation;
class ShortlistController;
class StudyController;
class StudyView;

/**
 * *View ▸ Presentation*: prepares views of the open study (the Pareto plot's current axes, the selected trial's
 * card, a compare of the selected rows or the shortlist, the selected trial's compression path), edits their titles,
 * annotations, order and theme (*Edit Presentation…*), and presents them full screen (*Present*, F9). The views are
 * kept with the study (study_meta "gui_presentation", written through StudyController::setStudyMeta()) and restored
 * when it opens (restore()). GUI thread only.
 */
class PresentationController : public QObject
{
    Q_OBJECT
public:
    PresentationController(StudyController *controller, StudyView *view, ShortlistController *shortlist,
                           QWidget *window);
    ~PresentationController() override;

    /** The Presentation submenu (add actions, edit, present). */
    QMenu *menu() const { return m_menu; }
    QAction *presentAction() const { return m_present; }
    Presentation *presentation() const { return m_presentation; }
    /** Reads the open study's kept presentation (after the view was given the study). */
    void restore();
    /** Adds a view of the current state: the plot's axes, the selected trial, ...; returns false (and says why). */
    bool addFront();
    bool addCard();
    bool addCompare();
    bool addCompressionPath();
    /** Opens the presentation window (full screen unless `fullScreen` is false, for tests). */
    PresentationWindow *present(bool fullScreen = true);
    /** The window opened last, while it is open. */
    PresentationWindow *window() const { return m_window; }
    /** Opens the editor of the views (non-modal). */
    void edit();

Q_SIGNALS:
    void statusMessage(const QString &text);

private:
    void save();
    void updateActions();

    StudyController *m_controller = nullptr;
    StudyView *m_view = nullptr;
    ShortlistController *m_shortlist = nullptr;
    QWidget *m_parent = nullptr;
    Presentation *m_presentation = nullptr;
    QMenu *m_menu = nullptr;
    QAction *m_present = nullptr;
    QList<QAction *> m_studyActions;
    QPointer<PresentationWindow> m_window;
    bool m_restoring = false;
};

} // namespace psc
