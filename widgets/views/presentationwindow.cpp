// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/presentationwindow.h"

#include "models/metricformat.h"
#include "models/presentation.h"
#include "models/shortlist.h"
#include "models/trialset.h"
#include "plot/frontsketch.h"
#include "views/candidatecards.h"
#include "views/compareview.h"

#include "psc/study/lineage.h"

#include <qcustomplot.h>

#include <QKeyEvent>
#include <QLabel>
#include <QVBoxLayout>

namespace psc {
namespace {

QFont sized(QFont font, double points, bool bold = false)
{
    font.setPointSizeF(points);
    font.setBold(bold);
    return font;
}

FrontSketchStyle presentationStyle(bool dark)
{
    return {15.0, 2.5, 10.0, dark, false};
}

} // namespace

PresentationWindow::PresentationWindow(const TrialSet *trials, Presentation *presentation, const Shortlist *shortlist,
                                       const TargetLibrary *library, QWidget *parent)
    : QWidget(parent, Qt::Window), m_trials(trials), m_presentation(presentation), m_shortlist(shortlist),
      m_library(library)
{
    setObjectName(QStringLiteral("presentationWindow"));
    setWindowTitle(tr("Presentation"));
    setAutoFillBackground(true);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("presentationTitle"));
    m_title->setFont(sized(font(), 30, true));
    m_title->setWordWrap(true);
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("presentationNote"));
    m_note->setFont(sized(font(), 20));
    m_note->setWordWrap(true);
    m_position = new QLabel(this);
    m_position->setFont(sized(font(), 12));
    m_position->setAlignment(Qt::AlignRight);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(48, 32, 48, 24);
    layout->setSpacing(16);
    layout->addWidget(m_title);
    m_body = new QVBoxLayout;
    layout->addLayout(m_body, 1);
    layout->addWidget(m_note);
    layout->addWidget(m_position);
    applyTheme();
    showSlide(0);
}

PresentationWindow::~PresentationWindow() = default;

void PresentationWindow::applyTheme()
{
    const bool dark = m_presentation->isDark();
    QPalette p = palette();
    const QColor back = dark ? QColor(0x1e, 0x1e, 0x1e) : QColor(Qt::white);
    const QColor text = dark ? QColor(0xf0, 0xf0, 0xf0) : QColor(0x20, 0x20, 0x20);
    const QColor base = dark ? QColor(0x2a, 0x2a, 0x2a) : QColor(0xfa, 0xfa, 0xfa);
    p.setColor(QPalette::Window, back);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, dark ? QColor(0x33, 0x33, 0x33) : QColor(0xf0, 0xf0, 0xf0));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, base);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Mid, dark ? QColor(0xa0, 0xa0, 0xa0) : QColor(0x70, 0x70, 0x70));
    setPalette(p);
}

void PresentationWindow::showSlide(int index)
{
    const int n = m_presentation->size();
    m_index = n == 0 ? 0 : std::clamp(index, 0, n - 1);
    if (m_content) {
        m_body->removeWidget(m_content);
        delete m_content;
    }
    if (n == 0) {
        m_title->setText(tr("No views prepared"));
        m_note->setText(tr("Add views with View ▸ Presentation ▸ Add…, then present them."));
        m_position->clear();
        auto *empty = new QLabel(this);
        m_content = empty;
    } else {
        const Slide &slide = m_presentation->slides()[std::size_t(m_index)];
        m_title->setText(slide.title.toHtmlEscaped());
        m_note->setText(slide.note.toHtmlEscaped());
        m_note->setVisible(!slide.note.isEmpty());
        m_position->setText(tr("%1 / %2   ←/→ step · T theme · Esc leave").arg(m_index + 1).arg(n));
        m_content = buildContent();
    }
    m_body->addWidget(m_content, 1);
    // The keys step through the views whatever the view holds (tables would take the arrows).
    for (QWidget *w : m_content->findChildren<QWidget *>())
        w->setFocusPolicy(Qt::NoFocus);
    m_content->setFocusPolicy(Qt::NoFocus);
    setFocus();
}

QWidget *PresentationWindow::buildContent()
{
    const Slide &slide = m_presentation->slides()[std::size_t(m_index)];
    auto message = [this](const QString &text) {
        auto *label = new QLabel(text, this);
        label->setFont(sized(font(), 20));
        label->setAlignment(Qt::AlignCenter);
        label->setWordWrap(true);
        return label;
    };
    if (!m_trials->hasStudy())
        return message(tr("No study is open."));
    std::vector<const Trial *> trials;
    for (qint64 number : slide.trials) {
        const Trial *found = nullptr;
        for (const Trial &t : m_trials->trials())
            if (t.number == number)
                found = &t;
        if (!found)
            return message(tr("Trial %1 is not in this study.").arg(number));
        trials.push_back(found);
    }
    const bool dark = m_presentation->isDark();
    switch (slide.kind) {
    case Slide::Kind::Front:
    case Slide::Kind::CompressionPath: {
        auto *plot = new QCustomPlot(this);
        std::vector<MarkedTrial> marked;
        std::vector<std::pair<qint64, qint64>> arrows;
        if (slide.kind == Slide::Kind::CompressionPath) {
            const Trial *parent = trials.front();
            marked.push_back({parent->id, dark ? QColor(0x6f, 0xb4, 0xf0) : QColor(0x1f, 0x77, 0xb4),
                              QStringLiteral("#%1").arg(parent->number)});
            for (const Trial &t : m_trials->trials())
                if (t.parentId && *t.parentId == parent->id) {
                    const std::optional<Lineage> lineage = decodeLineage(t);
                    const QString name = lineage && !lineage->variantName.empty()
                                             ? QString::fromStdString(lineage->variantName)
                                             : QStringLiteral("#%1").arg(t.number);
                    marked.push_back({t.id, dark ? QColor(0xff, 0xa0, 0x40) : QColor(0xd6, 0x60, 0x00), name});
                    arrows.emplace_back(parent->id, t.id);
                }
        }
        drawFrontSketch(plot, *m_trials, slide.x, slide.y, marked, arrows, presentationStyle(dark));
        return plot;
    }
    case Slide::Kind::Card: {
        const QStringList targets = studyTargets(m_trials->spec());
        auto *holder = new QWidget(this);
        holder->setFont(sized(font(), 20));
        auto *layout = new QVBoxLayout(holder);
        const int index = m_trials->indexOf(trials.front()->id);
        QFrame *card = makeCandidateCard(*trials.front(), m_trials->spec(), m_trials->isOnFront(index), m_shortlist,
                                         targets, holder);
        layout->addWidget(card, 0, Qt::AlignCenter);
        layout->addStretch(1);
        return holder;
    }
    case Slide::Kind::Compare: {
        auto *view = new CompareView(this);
        view->setFont(sized(font(), 16));
        view->setCompact(true);
        view->setContext(m_trials, m_library, m_shortlist);
        std::vector<Trial> copies;
        for (const Trial *t : trials)
            copies.push_back(*t);
        view->setTrials(std::move(copies));
        return view;
    }
    }
    return message(QString());
}

void PresentationWindow::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Right:
    case Qt::Key_Down:
    case Qt::Key_PageDown:
    case Qt::Key_Space:
        next();
        return;
    case Qt::Key_Left:
    case Qt::Key_Up:
    case Qt::Key_PageUp:
    case Qt::Key_Backspace:
        previous();
        return;
    case Qt::Key_Home:
        showSlide(0);
        return;
    case Qt::Key_End:
        showSlide(m_presentation->size() - 1);
        return;
    case Qt::Key_T:
        m_presentation->setDark(!m_presentation->isDark());
        applyTheme();
        showSlide(m_index);
        return;
    case Qt::Key_Escape:
        close();
        return;
    default:
        QWidget::keyPressEvent(event);
    }
}

} // namespace psc
