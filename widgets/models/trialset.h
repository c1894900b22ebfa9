// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/latestrequest.h"

#include "psc/study/studyfront.h"
#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QList>
#include <QObject>

#include <string>
#include <unordered_map>
#include <vector>

namespace psc {

/**
 * The trials of one open study as the GUI shows them, with their ranks on the study's objectives: one copy that
 * the trial table and the Pareto plot share (StudyView owns it), so a live update is stored once and ranked once.
 * Trials keep the index they arrive with until reset() or clear(); upsert() replaces known trials and appends new
 * ones.
 *
 * Ranking (a non-dominated sort of every complete trial: tens of milliseconds at 10,000 trials) runs either at
 * once, inside reset() and upsert() (Ranking::Immediate, the default: a table or plot used alone, the CLI's
 * `plot`), or on a pool thread with "latest request wins" (Ranking::Background: the GUI during a run, so the
 * GUI thread never waits for it); until a background result arrives, new trials have rank -1.
 *
 * Observers get fine-grained signals for item models (trialsAboutToBeAdded/trialsAdded/trialsChanged/
 * frontChanged) and one updated() at the end of every change for views that redraw as a whole. GUI thread only.
 */
class TrialSet : public QObject
{
    Q_OBJECT
public:
    enum class Ranking
    {
        Immediate,
        Background,
    };

    explicit TrialSet(QObject *parent = nullptr);
    ~TrialSet() override;

    void setRanking(Ranking ranking) { m_ranking = ranking; }
    Ranking ranking() const { return m_ranking; }

    /** Replaces the study and every trial. */
    void reset(const StudySpec &spec, std::vector<Trial> trials);
    /** Replaces trials with known ids (in place) and appends the others, in order; duplicates count once. */
    void upsert(const std::vector<Trial> &changed);
    /** No study, no trials. */
    void clear();

    /** True between reset() and clear(). */
    bool hasStudy() const { return m_hasStudy; }
    const StudySpec &spec() const { return m_spec; }
    const std::vector<Trial> &trials() const { return m_trials; }
    int size() const { return int(m_trials.size()); }
    /** The index of the trial with database id `id`, or -1. */
    int indexOf(qint64 id) const;
    /** The trial with database id `id`, or nullptr. */
    const Trial *find(qint64 id) const;
    /** paretoRanks() of trial `index` on the study's objectives (0 = on the front); -1 if unranked (yet). */
    int rank(int index) const;
    bool isOnFront(int index) const { return rank(index) == 0; }
    /** rank() of every trial, by index: as long as trials(). */
    const std::vector<int> &ranks() const { return m_ranks; }
    /**
     * The value of `metric` for every trial, by index (NaN where it has none): gathered on first use and kept until
     * the trials change; a live update refreshes only the trials it adds or replaces. For views that read a metric of
     * every trial (the Pareto plot: at 100,000 trials scanning each trial's metric list again after every axis change
     * took most of the replot).
     */
    const std::vector<double> &column(const MetricRef &metric) const;
    /** What a plot needs of each trial besides its metrics, by index, kept like column(): not the trials themselves,
     *  whose metric lists and strings are spread over the heap (reading them is what takes the time). */
    struct Facts
    {
        qint64 id = 0;
        TrialState state = TrialState::Pending;
        bool imported = false;
    };
    const std::vector<Facts> &facts() const;
    /** True while a background ranking has not delivered. */
    bool isRanking() const { return m_ranker.isBusy(); }

Q_SIGNALS:
    void aboutToReset();
    /** After reset() and clear(): everything may have changed, the study too. */
    void wasReset();
    void trialsAboutToBeAdded(int first, int last);
    void trialsAdded(int first, int last);
    /** Known trials replaced by upsert(), by index, ascending. */
    void trialsChanged(const QList<int> &indices);
    /** Trials that joined or left the study's front, by index, ascending. */
    void frontChanged(const QList<int> &indices);
    /** Once at the end of every reset(), upsert(), clear() and ranking that changed a rank. */
    void updated();

private:
    void rank();
    /** Builds the columns of the study's metrics one per turn of the event loop after a reset, so the first axis
     *  change of a large study does not wait for them. */
    void warmColumns(std::size_t next, quint64 generation);
    /** objectivePoints() of the study's objectives, read from the cached columns. */
    ObjectivePoints objectiveColumns() const;
    /** Stores new ranks; returns the indices whose front membership changed. */
    QList<int> applyRanks(std::vector<int> ranks);

    Ranking m_ranking = Ranking::Immediate;
    bool m_hasStudy = false;
    StudySpec m_spec;
    std::vector<Trial> m_trials;
    std::unordered_map<qint64, int> m_indexById;
    std::vector<int> m_ranks;
    mutable std::unordered_map<std::string, std::vector<double>> m_columns; ///< column(), by metric text
    mutable std::vector<Facts> m_facts;                                     ///< facts(); empty until asked for
    quint64 m_generation = 0; ///< bumped by reset() and clear(): a column warm-up of an older study stops
    LatestRequest m_ranker{this};
};

} // namespace psc
