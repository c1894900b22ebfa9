// SPDX-License-Identifier: GPL-3.0-or-later
#include "shortlistcontroller.h"

#include "studycontroller.h"

#include "models/shortlist.h"
#include "models/trialset.h"
#include "models/trialtablemodel.h"
#include "views/compareview.h"
#include "views/studyview.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QInputDialog>
#include <QTableView>
#include <QVBoxLayout>

namespace psc {

ShortlistController::ShortlistController(StudyController *controller, StudyView *view, QWidget *window)
    : QObject(window), m_controller(controller), m_view(view), m_window(window)
{
    m_star = new QAction(tr("&Shortlist"), this);
    m_star->setObjectName(QStringLiteral("shortlistAction"));
    m_star->setCheckable(true);
    m_star->setShortcut(Qt::CTRL | Qt::Key_D);
    m_star->setToolTip(tr("Star the selected trial into the shortlist (kept in the study file), or unstar it"));
    connect(m_star, &QAction::triggered, this, [this] {
        if (const Trial *t = m_view->trialSet()->find(m_view->selectedTrial()))
            m_view->shortlist()->toggleStarred(t->number);
    });
    m_note = new QAction(tr("Edit &Note…"), this);
    m_note->setObjectName(QStringLiteral("noteAction"));
    m_note->setShortcut(Qt::Key_F2);
    m_note->setToolTip(tr("Write a note on the selected trial (kept in the study file; shown in the table's Note "
                          "column, on its card and in compare)"));
    connect(m_note, &QAction::triggered, this, &ShortlistController::editNote);
    m_compare = new QAction(tr("&Compare…"), this);
    m_compare->setObjectName(QStringLiteral("compareAction"));
    m_compare->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_C);
    m_compare->setToolTip(tr("Put 2-4 trials side by side: the selected rows (Ctrl+click), else the shortlist"));
    connect(m_compare, &QAction::triggered, this, [this] { compare(compareCandidates()); });
    // In the table's context menu too.
    m_view->table()->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->table()->addAction(m_star);
    m_view->table()->addAction(m_note);
    m_view->table()->addAction(m_compare);
    for (QAction *a : {m_star, m_note, m_compare})
        a->setShortcutContext(Qt::WindowShortcut);

    connect(m_view->shortlist(), &Shortlist::changed, this, &ShortlistController::save);
    connect(m_view->shortlist(), &Shortlist::changed, this, &ShortlistController::updateActions);
    connect(m_view, &StudyView::selectedTrialChanged, this, &ShortlistController::updateActions);
    connect(m_view, &StudyView::compareRequested, this, &ShortlistController::compare);
    updateActions();
}

ShortlistController::~ShortlistController() = default;

void ShortlistController::restore()
{
    if (const std::optional<QString> kept = m_controller->studyMeta(QStringLiteral("gui_shortlist")))
        m_view->shortlist()->restore(*kept); // a value this version cannot read is skipped, never an error on open
    updateActions();
}

void ShortlistController::save(qint64 number)
{
    // Only edits are saved: clear() (-1) happens when another study opens and is not this study's to keep.
    if (number < 0 || !m_controller->hasStudy())
        return;
    const QString error = m_controller->setStudyMeta(QStringLiteral("gui_shortlist"), m_view->shortlist()->toJson());
    if (!error.isEmpty())
        Q_EMIT statusMessage(tr("The shortlist is not saved with the study: %1").arg(error));
}

void ShortlistController::updateActions()
{
    const Trial *t = m_view->trialSet()->find(m_view->selectedTrial());
    m_star->setEnabled(t != nullptr);
    m_note->setEnabled(t != nullptr);
    const QSignalBlocker block(m_star);
    m_star->setChecked(t && m_view->shortlist()->isStarred(t->number));
    m_compare->setEnabled(m_controller->hasStudy());
}

void ShortlistController::editNote()
{
    const Trial *t = m_view->trialSet()->find(m_view->selectedTrial());
    if (!t)
        return;
    const qint64 number = t->number;
    bool ok = false;
    const QString text =
        QInputDialog::getMultiLineText(m_window, tr("Note on trial %1").arg(number),
                                       tr("A note on trial %1, kept in the study file (empty removes it):").arg(number),
                                       m_view->shortlist()->note(number), &ok);
    if (ok)
        m_view->shortlist()->setNote(number, text);
}

QList<qint64> ShortlistController::compareCandidates() const
{
    const QList<qint64> selected = m_view->selectedTrials();
    if (selected.size() >= 2)
        return selected;
    QList<qint64> ids;
    const TrialSet *set = m_view->trialSet();
    for (qint64 number : m_view->shortlist()->starred())
        for (const Trial &t : set->trials())
            if (t.number == number)
                ids << t.id;
    return ids;
}

void ShortlistController::compare(const QList<qint64> &ids)
{
    std::vector<Trial> trials;
    std::vector<WeightValues> weights;
    for (qint64 id : ids)
        if (const Trial *t = m_view->trialSet()->find(id)) {
            trials.push_back(*t);
            weights.push_back(m_controller->weightValues(*t));
        }
    if (trials.size() < 2) {
        Q_EMIT statusMessage(tr("Compare needs two to four trials: select their rows (Ctrl+click) or star them into "
                                "the shortlist (Ctrl+D)"));
        return;
    }
    auto *dialog = new QDialog(m_window, Qt::Window);
    dialog->setObjectName(QStringLiteral("compareWindow"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *view = new CompareView(dialog);
    view->setContext(m_view->trialSet(), m_controller->targets(), m_view->shortlist());
    view->setTrials(std::move(trials), std::move(weights));
    QStringList numbers;
    for (const Trial &t : view->trials())
        numbers << QString::number(t.number);
    dialog->setWindowTitle(tr("Compare trials %1").arg(numbers.join(QStringLiteral(", "))));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(view, 1);
    layout->addWidget(buttons);
    dialog->resize(view->sizeHint().boundedTo(m_window->size()));
    dialog->show();
    m_lastCompare = view;
}

} // namespace psc
