// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialset.h"

#include "psc/study/studyfront.h"

#include <algorithm>
#include <unordered_set>

namespace psc {

TrialSet::TrialSet(QObject *parent) : QObject(parent) {}

TrialSet::~TrialSet() = default;

void TrialSet::reset(const StudySpec &spec, std::vector<Trial> trials)
{
    Q_EMIT aboutToReset();
    m_ranker.cancel(); // ranks of the old trials must not land on the new ones
    m_hasStudy = true;
    m_spec = spec;
    m_trials = std::move(trials);
    m_indexById.clear();
    m_indexById.reserve(m_trials.size());
    for (int i = 0; i < int(m_trials.size()); ++i)
        m_indexById[m_trials[std::size_t(i)].id] = i;
    m_ranks.assign(m_trials.size(), -1);
    if (m_ranking == Ranking::Immediate)
        applyRanks(paretoRanks(m_trials, m_spec.objectives));
    Q_EMIT wasReset();
    Q_EMIT updated();
    if (m_ranking == Ranking::Background)
        rank();
}

void TrialSet::upsert(const std::vector<Trial> &changed)
{
    if (changed.empty())
        return;
    QList<int> replaced;
    std::vector<const Trial *> added;
    std::unordered_set<qint64> addedIds; // a set: opening a study adds 100,000 trials at once
    for (const Trial &t : changed) {
        if (const auto it = m_indexById.find(t.id); it != m_indexById.end()) {
            m_trials[std::size_t(it->second)] = t;
            replaced.push_back(it->second);
        } else if (addedIds.insert(t.id).second) {
            added.push_back(&t);
        }
    }
    if (!added.empty()) {
        const int first = size();
        const int last = first + int(added.size()) - 1;
        Q_EMIT trialsAboutToBeAdded(first, last);
        for (const Trial *t : added) {
            m_indexById[t->id] = size();
            m_trials.push_back(*t);
            m_ranks.push_back(-1);
        }
        Q_EMIT trialsAdded(first, last);
    }
    if (!replaced.isEmpty()) {
        std::sort(replaced.begin(), replaced.end());
        replaced.erase(std::unique(replaced.begin(), replaced.end()), replaced.end());
        Q_EMIT trialsChanged(replaced);
    }
    // A new trial can push others off the front (or a finished one join it): those rows change too.
    if (m_ranking == Ranking::Immediate) {
        const QList<int> front = applyRanks(paretoRanks(m_trials, m_spec.objectives));
        if (!front.isEmpty())
            Q_EMIT frontChanged(front);
    }
    Q_EMIT updated();
    if (m_ranking == Ranking::Background)
        rank();
}

void TrialSet::clear()
{
    Q_EMIT aboutToReset();
    m_ranker.cancel();
    m_hasStudy = false;
    m_spec = {};
    m_trials.clear();
    m_indexById.clear();
    m_ranks.clear();
    Q_EMIT wasReset();
    Q_EMIT updated();
}

int TrialSet::indexOf(qint64 id) const
{
    const auto it = m_indexById.find(id);
    return it == m_indexById.end() ? -1 : it->second;
}

const Trial *TrialSet::find(qint64 id) const
{
    const int i = indexOf(id);
    return i < 0 ? nullptr : &m_trials[std::size_t(i)];
}

int TrialSet::rank(int index) const
{
    return index >= 0 && index < int(m_ranks.size()) ? m_ranks[std::size_t(index)] : -1;
}

void TrialSet::rank()
{
    // Gathering the objective values is cheap (a few numbers per trial); the sort runs on a pool thread. Trials
    // keep their index until a reset, which cancels this request, so the result lines up with m_trials.
    m_ranker.run([points = objectivePoints(m_trials, m_spec.objectives)] { return rankObjectivePoints(points); },
                 [this](std::vector<int> ranks) {
                     const QList<int> front = applyRanks(std::move(ranks));
                     if (front.isEmpty())
                         return;
                     Q_EMIT frontChanged(front);
                     Q_EMIT updated();
                 });
}

QList<int> TrialSet::applyRanks(std::vector<int> ranks)
{
    QList<int> changed;
    ranks.resize(m_trials.size(), -1); // trials added since the request was made: unranked until the next one
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        const bool was = i < m_ranks.size() && m_ranks[i] == 0;
        if (was != (ranks[i] == 0))
            changed.push_back(int(i));
    }
    m_ranks = std::move(ranks);
    return changed;
}

} // namespace psc
