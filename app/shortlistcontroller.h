// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "views/compareview.h"

#include <QList>
#include <QObject>
#include <QPointer>

class QAction;
class QWidget;

namespace psc {

class StudyController;
class StudyView;

/**
 * The shortlist, notes and compare of the main window: *Trial ▸ Shortlist* (Ctrl+D, also a click on the table's ★
 * cell or a card's star), *Trial ▸ Edit Note…* (F2, or edit the table's Note cell) and *Trial ▸ Compare*
 * (Ctrl+Shift+C: the two to four selected rows, else the shortlist), also in the table's context menu.
 *
 * The shortlist and notes are kept with the study (study_meta "gui_shortlist", written through
 * StudyController::setStudyMeta(): at once, or when the window's own run ends) and restored when it opens
 * (restore()). Compare opens a window with a CompareView of the trials; several may be open. GUI thread only.
 */
class ShortlistController : public QObject
{
    Q_OBJECT
public:
    ShortlistController(StudyController *controller, StudyView *view, QWidget *window);
    ~ShortlistController() override;

    QAction *starAction() const { return m_star; }
    QAction *noteAction() const { return m_note; }
    QAction *compareAction() const { return m_compare; }
    /** Reads the open study's kept shortlist and notes into the view (after the view was given the study). */
    void restore();
    /** Opens a compare window for the trials `ids` (by id); says in statusMessage() why not if fewer than two. */
    void compare(const QList<qint64> &ids);
    /** The trials Compare would show now: the selected rows if two or more, else the starred trials. */
    QList<qint64> compareCandidates() const;
    /** The compare window opened last, while it is open. */
    CompareView *lastCompare() const { return m_lastCompare; }
    /** Asks for the selected trial's note in a dialog and keeps it. */
    void editNote();

Q_SIGNALS:
    void statusMessage(const QString &text);

private:
    void save(qint64 number);
    void updateActions();

    StudyController *m_controller = nullptr;
    StudyView *m_view = nullptr;
    QWidget *m_window = nullptr;
    QAction *m_star = nullptr;
    QAction *m_note = nullptr;
    QAction *m_compare = nullptr;
    QPointer<CompareView> m_lastCompare;
};

} // namespace psc
