// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointer>
#include <QWidget>

class QLabel;
class QVBoxLayout;

namespace psc {

class Presentation;
class Shortlist;
class TargetLibrary;
class TrialSet;

/**
 * The presentation mode: one prepared view (a Slide) at a time, full screen, with its title above and its one-line
 * annotation below, in large type and thick lines, on a dark or a light theme. The arrow keys (also Page Up/Down,
 * Space, Backspace, Home, End) step through the views, T switches the theme (kept with the presentation), Esc
 * leaves. The views are drawn from the study as it is now: the front sketch (drawFrontSketch()), a candidate card
 * (makeCandidateCard()), a CompareView, a compression path (the trial and its compressed children with arrows). A
 * view whose trials are no longer in the study says so. GUI thread only; the objects given must outlive the window.
 */
class PresentationWindow : public QWidget
{
    Q_OBJECT
public:
    PresentationWindow(const TrialSet *trials, Presentation *presentation, const Shortlist *shortlist,
                       const TargetLibrary *library, QWidget *parent = nullptr);
    ~PresentationWindow() override;

    /** Shows view `index` (clamped). */
    void showSlide(int index);
    int currentSlide() const { return m_index; }
    void next() { showSlide(m_index + 1); }
    void previous() { showSlide(m_index - 1); }
    QLabel *title() const { return m_title; }
    QLabel *note() const { return m_note; }
    QLabel *position() const { return m_position; }
    /** The widget showing the current view (a QCustomPlot, a card, a CompareView, or a message label). */
    QWidget *content() const { return m_content; }

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    void applyTheme();
    QWidget *buildContent();

    const TrialSet *m_trials = nullptr;
    Presentation *m_presentation = nullptr;
    const Shortlist *m_shortlist = nullptr;
    const TargetLibrary *m_library = nullptr;
    int m_index = 0;
    QLabel *m_title = nullptr;
    QLabel *m_note = nullptr;
    QLabel *m_position = nullptr;
    QVBoxLayout *m_body = nullptr;
    QPointer<QWidget> m_content;
};

} // namespace psc
