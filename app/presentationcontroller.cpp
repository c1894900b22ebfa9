// SPDX-License-Identifier: GPL-3.0-or-later
#include "presentationcontroller.h"

#include "shortlistcontroller.h"
#include "studycontroller.h"

#include "models/metricformat.h"
#include "models/presentation.h"
#include "models/shortlist.h"
#include "models/trialset.h"
#include "plot/paretoplotwidget.h"
#include "views/studyview.h"

#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QScreen>
#include <QVBoxLayout>

namespace psc {

PresentationController::PresentationController(StudyController *controller, StudyView *view,
                                               ShortlistController *shortlist, QWidget *window)
    : QObject(window), m_controller(controller), m_view(view), m_shortlist(shortlist), m_parent(window),
      m_presentation(new Presentation(this))
{
    m_menu = new QMenu(tr("&Presentation"), window);
    m_menu->setToolTipsVisible(true);
    auto add = [this](const QString &text, const QString &tip, bool (PresentationController::*slot)()) {
        QAction *a = m_menu->addAction(text, this, [this, slot] { (this->*slot)(); });
        a->setToolTip(tip);
        m_studyActions << a;
        return a;
    };
    add(tr("Add &Front View"), tr("Add the Pareto plot on its current axes as a view"),
        &PresentationController::addFront);
    add(tr("Add Trial &Card"), tr("Add the selected trial's card as a view"), &PresentationController::addCard);
    add(tr("Add Co&mpare"), tr("Add a compare of the selected rows (or the shortlist) as a view"),
        &PresentationController::addCompare);
    add(tr("Add Compression &Path"),
        tr("Add the selected trial's compression path (it or its parent, with every compressed child) as a view"),
        &PresentationController::addCompressionPath);
    m_menu->addSeparator();
    QAction *editAction = m_menu->addAction(tr("&Edit Presentation…"), this, &PresentationController::edit);
    editAction->setToolTip(tr("Titles, annotations, order and theme of the prepared views"));
    m_studyActions << editAction;
    m_present = m_menu->addAction(tr("P&resent"), this, [this] { present(); });
    m_present->setObjectName(QStringLiteral("presentAction"));
    m_present->setShortcut(Qt::Key_F9);
    m_present->setToolTip(tr("Show the prepared views full screen: arrow keys step, T switches theme, Esc leaves"));
    m_studyActions << m_present;
    connect(m_presentation, &Presentation::changed, this, &PresentationController::save);
    connect(m_controller, &StudyController::studyOpened, this, &PresentationController::updateActions);
    connect(m_controller, &StudyController::studyClosed, this, [this] {
        m_presentation->clear();
        if (m_window)
            m_window->close();
        updateActions();
    });
    updateActions();
}

PresentationController::~PresentationController() = default;

void PresentationController::updateActions()
{
    for (QAction *a : m_studyActions)
        a->setEnabled(m_controller->hasStudy());
}

void PresentationController::restore()
{
    m_presentation->clear();
    if (const std::optional<QString> kept = m_controller->studyMeta(QStringLiteral("gui_presentation")))
        m_presentation->restore(*kept); // a value this version cannot read is skipped, never an error on open
    updateActions();
}

void PresentationController::save()
{
    if (!m_controller->hasStudy())
        return;
    const QString error = m_controller->setStudyMeta(QStringLiteral("gui_presentation"), m_presentation->toJson());
    if (!error.isEmpty())
        Q_EMIT statusMessage(tr("The presentation is not saved with the study: %1").arg(error));
}

bool PresentationController::addFront()
{
    if (!m_controller->hasStudy())
        return false;
    Slide s;
    s.kind = Slide::Kind::Front;
    s.x = m_view->plot()->xMetric();
    s.y = m_view->plot()->yMetric();
    s.title = tr("%1 against %2").arg(metricLabel(s.y), metricLabel(s.x));
    m_presentation->append(std::move(s));
    Q_EMIT statusMessage(tr("Added view %1: the front on the plot's axes").arg(m_presentation->size()));
    return true;
}

bool PresentationController::addCard()
{
    const Trial *t = m_view->trialSet()->find(m_view->selectedTrial());
    if (!t) {
        Q_EMIT statusMessage(tr("Select a trial to add its card"));
        return false;
    }
    Slide s;
    s.kind = Slide::Kind::Card;
    s.trials = {t->number};
    s.title = tr("Trial %1").arg(t->number);
    s.note = m_view->shortlist()->note(t->number);
    m_presentation->append(std::move(s));
    Q_EMIT statusMessage(tr("Added view %1: trial %2's card").arg(m_presentation->size()).arg(t->number));
    return true;
}

bool PresentationController::addCompare()
{
    QList<qint64> numbers;
    for (qint64 id : m_shortlist->compareCandidates())
        if (const Trial *t = m_view->trialSet()->find(id); t && numbers.size() < 4)
            numbers << t->number;
    if (numbers.size() < 2) {
        Q_EMIT statusMessage(tr("A compare needs two to four trials: select their rows or star them"));
        return false;
    }
    Slide s;
    s.kind = Slide::Kind::Compare;
    s.trials = numbers;
    QStringList names;
    for (qint64 n : numbers)
        names << QString::number(n);
    s.title = tr("Trials %1 side by side").arg(names.join(QStringLiteral(", ")));
    m_presentation->append(std::move(s));
    Q_EMIT statusMessage(tr("Added view %1: a compare of %2").arg(m_presentation->size()).arg(names.join(", ")));
    return true;
}

bool PresentationController::addCompressionPath()
{
    const TrialSet *set = m_view->trialSet();
    const Trial *t = set->find(m_view->selectedTrial());
    if (t && t->parentId)
        t = set->find(*t->parentId);
    const bool hasChildren = t && std::any_of(set->trials().begin(), set->trials().end(),
                                              [t](const Trial &c) { return c.parentId && *c.parentId == t->id; });
    if (!hasChildren) {
        Q_EMIT statusMessage(tr("Select a compressed trial or one that was compressed to add its compression path"));
        return false;
    }
    Slide s;
    s.kind = Slide::Kind::CompressionPath;
    s.trials = {t->number};
    s.x = m_view->plot()->xMetric();
    s.y = m_view->plot()->yMetric();
    s.title = tr("Compressing trial %1").arg(t->number);
    m_presentation->append(std::move(s));
    Q_EMIT statusMessage(tr("Added view %1: trial %2's compression path").arg(m_presentation->size()).arg(t->number));
    return true;
}

PresentationWindow *PresentationController::present(bool fullScreen)
{
    if (!m_controller->hasStudy())
        return nullptr;
    if (m_window)
        m_window->close();
    auto *window = new PresentationWindow(m_view->trialSet(), m_presentation, m_view->shortlist(),
                                          m_controller->targets(), m_parent);
    window->setAttribute(Qt::WA_DeleteOnClose);
    if (QScreen *screen = m_parent->screen())
        window->setGeometry(screen->geometry()); // full screen also where no window manager makes it so
    if (fullScreen)
        window->showFullScreen();
    else
        window->show();
    window->activateWindow();
    window->setFocus();
    m_window = window;
    return window;
}

void PresentationController::edit()
{
    auto *dialog = new QDialog(m_parent);
    dialog->setObjectName(QStringLiteral("presentationEditor"));
    dialog->setWindowTitle(tr("Edit Presentation"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *list = new QListWidget(dialog);
    auto *title = new QLineEdit(dialog);
    auto *note = new QLineEdit(dialog);
    note->setPlaceholderText(tr("One line under the view, e.g. \"int4 halves the weights for 0.4 points\""));
    auto *theme = new QComboBox(dialog);
    theme->addItem(tr("Dark"), true);
    theme->addItem(tr("Light"), false);
    theme->setCurrentIndex(m_presentation->isDark() ? 0 : 1);
    auto refill = [this, list] {
        const int row = list->currentRow();
        list->clear();
        for (const Slide &s : m_presentation->slides())
            list->addItem(QStringLiteral("%1 — %2").arg(slideKindName(s.kind), s.title));
        list->setCurrentRow(std::clamp(row, 0, list->count() - 1));
    };
    refill();
    auto load = [this, list, title, note] {
        const int row = list->currentRow();
        const bool valid = row >= 0 && row < m_presentation->size();
        const QSignalBlocker b1(title), b2(note);
        title->setText(valid ? m_presentation->slides()[std::size_t(row)].title : QString());
        note->setText(valid ? m_presentation->slides()[std::size_t(row)].note : QString());
        title->setEnabled(valid);
        note->setEnabled(valid);
    };
    connect(list, &QListWidget::currentRowChanged, dialog, load);
    connect(title, &QLineEdit::textEdited, dialog, [this, list](const QString &text) {
        m_presentation->setTitle(list->currentRow(), text);
        if (QListWidgetItem *item = list->currentItem())
            item->setText(QStringLiteral("%1 — %2").arg(
                slideKindName(m_presentation->slides()[std::size_t(list->currentRow())].kind), text));
    });
    connect(note, &QLineEdit::textEdited, dialog,
            [this, list](const QString &text) { m_presentation->setNote(list->currentRow(), text); });
    connect(theme, &QComboBox::currentIndexChanged, dialog,
            [this, theme] { m_presentation->setDark(theme->currentData().toBool()); });
    auto button = [dialog](const QString &text) { return new QPushButton(text, dialog); };
    QPushButton *up = button(tr("Up")), *down = button(tr("Down")), *remove = button(tr("Remove"));
    connect(up, &QPushButton::clicked, dialog, [this, list, refill] {
        const int row = list->currentRow();
        m_presentation->move(row, -1);
        refill();
        list->setCurrentRow(std::max(0, row - 1));
    });
    connect(down, &QPushButton::clicked, dialog, [this, list, refill] {
        const int row = list->currentRow();
        m_presentation->move(row, 1);
        refill();
        list->setCurrentRow(std::min(list->count() - 1, row + 1));
    });
    connect(remove, &QPushButton::clicked, dialog, [this, list, refill, load] {
        m_presentation->remove(list->currentRow());
        refill();
        load();
    });
    auto *buttons = new QVBoxLayout;
    buttons->addWidget(up);
    buttons->addWidget(down);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    auto *top = new QHBoxLayout;
    top->addWidget(list, 1);
    top->addLayout(buttons);
    auto *form = new QFormLayout;
    form->addRow(tr("Title:"), title);
    form->addRow(tr("Annotation:"), note);
    form->addRow(tr("Theme:"), theme);
    auto *box = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QPushButton *presentButton = box->addButton(tr("Present"), QDialogButtonBox::ActionRole);
    connect(presentButton, &QPushButton::clicked, dialog, [this] { present(); });
    connect(box, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto *layout = new QVBoxLayout(dialog);
    layout->addLayout(top, 1);
    layout->addLayout(form);
    layout->addWidget(box);
    load();
    dialog->resize(560, 420);
    dialog->show();
}

} // namespace psc
