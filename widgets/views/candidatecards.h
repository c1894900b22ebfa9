// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/trial.h"

#include <QFrame>
#include <QList>
#include <QStringList>
#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QScrollArea;
class QToolButton;

namespace psc {

class FlowLayout;
class Shortlist;
struct StudySpec;
class TrialFilter;
class TrialSet;

/**
 * One candidate card: the trial's number (and ◆ if on the front), its origin, its note, its accuracy (the study's
 * first accuracy-like objective), its deployed weight size, and per target of `targets` its latency, energy, RAM,
 * flash and a fit mark (✔/✘, object name "cardFit"). The heading row is a QHBoxLayout named "cardHead" for callers
 * to add controls to. The presentation mode shows the same card, larger.
 */
QFrame *makeCandidateCard(const Trial &trial, const StudySpec &spec, bool onFront, const Shortlist *shortlist,
                          const QStringList &targets, QWidget *parent);

/**
 * The candidates a study offers as cards, as Edge Impulse's EON Tuner shows them: one card per shortlisted trial and
 * per trial on the Pareto front (or either alone), each with its accuracy, deployed weight size and, per chosen
 * target, latency, energy, RAM, flash and a fit mark (✔ fits every limit of the target, ✘ breaks one). The values
 * are the trial's stored metrics, as the table and the plot show them.
 *
 * The cards follow the study's TrialFilter, sort by any metric of the study (either direction), and show the
 * study's targets that are ticked in *Targets*. A click on a card selects its trial (trialClicked()); its star
 * toggles the shortlist; ticking *Compare* on two to four cards and pressing *Compare* asks for the compare view
 * (compareRequested()). At most maxCards() cards are built; the line above them says how many there are.
 * Rebuilt lazily: only while shown. GUI thread only.
 */
class CandidateCards : public QWidget
{
    Q_OBJECT
public:
    enum class Show
    {
        ShortlistAndFront,
        Shortlist,
        Front,
    };

    explicit CandidateCards(TrialSet *trials, QWidget *parent = nullptr);
    ~CandidateCards() override;

    void setShortlist(Shortlist *shortlist);
    void setTrialFilter(TrialFilter *filter);

    void setShow(Show show);
    /** Sorts by `metric` (one of sortMetrics()); best first by the metric's direction unless `reverse`. */
    bool setSortMetric(const MetricRef &metric, bool reverse = false);
    std::vector<MetricRef> sortMetrics() const;
    /** The targets whose costs the cards show (a subset of the study's, in its order). */
    void setShownTargets(const QStringList &ids);
    QStringList shownTargets() const { return m_shownTargets; }
    /** The study's targets, as the Targets menu offers them. */
    QStringList studyTargets() const { return m_studyTargets; }
    /** Marks trial `id`'s card as selected (-1: none). */
    void setSelectedTrial(qint64 id);

    /** The trials with a card, by id, in card order (rebuilds first if needed). */
    QList<qint64> cardTrials();
    /** The card of trial `id`, or nullptr. */
    QFrame *card(qint64 id) const;
    /** The ids whose Compare box is ticked, in card order. */
    QList<qint64> compareChecked() const;
    QLabel *summary() const { return m_summary; }
    QPushButton *compareButton() const { return m_compare; }
    static int maxCards() { return 60; }

Q_SIGNALS:
    void trialClicked(qint64 id);
    void compareRequested(const QList<qint64> &ids);

protected:
    void showEvent(QShowEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void studyChanged();
    void scheduleRebuild();
    void rebuild();
    QFrame *makeCard(const Trial &trial, bool onFront);
    void updateCompareButton();

    TrialSet *m_trials = nullptr;
    Shortlist *m_shortlist = nullptr;
    TrialFilter *m_filter = nullptr;
    Show m_show = Show::ShortlistAndFront;
    MetricRef m_sortMetric;
    bool m_reverse = false;
    QStringList m_studyTargets;
    QStringList m_shownTargets;
    qint64 m_selected = -1;
    bool m_dirty = true;
    QList<qint64> m_cardIds;
    std::vector<QFrame *> m_cards;
    QList<qint64> m_checked;

    QComboBox *m_showMenu = nullptr;
    QComboBox *m_sortMenu = nullptr;
    QToolButton *m_reverseButton = nullptr;
    QToolButton *m_targetsButton = nullptr;
    QPushButton *m_compare = nullptr;
    QLabel *m_summary = nullptr;
    QScrollArea *m_scroll = nullptr;
    QWidget *m_canvas = nullptr;
    FlowLayout *m_flow = nullptr;
};

} // namespace psc
