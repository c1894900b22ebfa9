// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialset.h"

#include "models/metricformat.h"

#include "psc/study/lineage.h"
#include "psc/study/studyfront.h"

#include <QTimer>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace psc {
namespace {

/// From this many trials the study's metric columns are built ahead of use (a few milliseconds each at 100,000).
constexpr std::size_t kWarmColumnsFrom = 20000;

TrialSet::Facts factsOf(const Trial &t)
{
    return {t.id, t.state, isImported(t)};
}

} // namespace

TrialSet::TrialSet(QObject *parent) : QObject(parent) {}

TrialSet::~TrialSet() = default;

void TrialSet::reset(const StudySpec &spec, std::vector<Trial> trials)
{
    Q_EMIT aboutToReset();
    m_ranker.cancel(); // ranks of the old trials must not land on the new ones
    m_hasStudy = true;
    m_spec = spec;
    m_trials = std::move(trials);
    m_columns.clear();
    m_facts.clear();
    ++m_generation;
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
        if (added.size() >= kWarmColumnsFrom) // a large study opening: its trials arrive in one update
            QTimer::singleShot(0, this, [this, generation = m_generation] { warmColumns(0, generation); });
    }
    if (!replaced.isEmpty()) {
        std::sort(replaced.begin(), replaced.end());
        replaced.erase(std::unique(replaced.begin(), replaced.end()), replaced.end());
    }
    // The cached columns follow: new trials appended, replaced ones read again.
    for (auto &[key, values] : m_columns) {
        const MetricRef metric = *parseMetricRef(key);
        const std::size_t before = values.size();
        values.resize(m_trials.size());
        for (std::size_t i = before; i < m_trials.size(); ++i)
            values[i] = metricValue(m_trials[i], metric).value_or(NAN);
        for (int i : replaced)
            values[std::size_t(i)] = metricValue(m_trials[std::size_t(i)], metric).value_or(NAN);
    }
    if (!m_facts.empty()) {
        const std::size_t before = m_facts.size();
        m_facts.resize(m_trials.size());
        for (std::size_t i = before; i < m_trials.size(); ++i)
            m_facts[i] = factsOf(m_trials[i]);
        for (int i : replaced)
            m_facts[std::size_t(i)] = factsOf(m_trials[std::size_t(i)]);
    }
    if (!replaced.isEmpty())
        Q_EMIT trialsChanged(replaced);
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

void TrialSet::warmColumns(std::size_t next, quint64 generation)
{
    if (generation != m_generation || !m_hasStudy)
        return;
    const std::vector<MetricRef> metrics = studyMetrics(m_spec);
    if (next >= metrics.size())
        return;
    column(metrics[next]);
    QTimer::singleShot(0, this, [this, next, generation] { warmColumns(next + 1, generation); });
}

const std::vector<TrialSet::Facts> &TrialSet::facts() const
{
    if (m_facts.size() != m_trials.size()) {
        m_facts.clear();
        m_facts.reserve(m_trials.size());
        for (const Trial &t : m_trials)
            m_facts.push_back(factsOf(t));
    }
    return m_facts;
}

const std::vector<double> &TrialSet::column(const MetricRef &metric) const
{
    auto [it, added] = m_columns.try_emplace(metric.toString());
    if (added) {
        it->second.reserve(m_trials.size());
        for (const Trial &t : m_trials)
            it->second.push_back(metricValue(t, metric).value_or(NAN));
    }
    return it->second;
}

void TrialSet::clear()
{
    Q_EMIT aboutToReset();
    m_ranker.cancel();
    m_hasStudy = false;
    m_spec = {};
    m_trials.clear();
    m_columns.clear();
    m_facts.clear();
    ++m_generation;
    m_indexById.clear();
    m_ranks.clear();
    Q_EMIT wasReset();
    Q_EMIT updated();
    if (m_trials.size() >= kWarmColumnsFrom)
        QTimer::singleShot(0, this, [this, generation = m_generation] { warmColumns(0, generation); });
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
    // The objective values come from the cached columns (gathering them from the trials took 30-50 ms of the GUI
    // thread at 100,000 trials); the sort runs on a pool thread. Trials keep their index until a reset, which cancels
    // this request, so the result lines up with m_trials.
    m_ranker.run([points = objectiveColumns()] { return rankObjectivePoints(points); },
                 [this](std::vector<int> ranks) {
                     const QList<int> front = applyRanks(std::move(ranks));
                     if (front.isEmpty())
                         return;
                     Q_EMIT frontChanged(front);
                     Q_EMIT updated();
                 });
}

ObjectivePoints TrialSet::objectiveColumns() const
{
    // objectivePoints() from the columns: complete trials with every objective measured.
    ObjectivePoints p;
    p.trials = m_trials.size();
    std::vector<const std::vector<double> *> columns;
    for (const Objective &o : m_spec.objectives) {
        p.directions.push_back(o.direction);
        columns.push_back(&column(o.metric));
    }
    if (columns.empty())
        return p;
    const std::vector<Facts> &all = facts();
    for (std::size_t i = 0; i < m_trials.size(); ++i) {
        if (all[i].state != TrialState::Complete ||
            std::any_of(columns.begin(), columns.end(),
                        [i](const std::vector<double> *c) { return std::isnan((*c)[i]); }))
            continue;
        for (const std::vector<double> *c : columns)
            p.values.push_back((*c)[i]);
        p.members.push_back(i);
    }
    return p;
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
