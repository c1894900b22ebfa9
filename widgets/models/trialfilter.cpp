// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialfilter.h"

#include "models/shortlist.h"

#include "models/metricformat.h"
#include "models/trialset.h"

#include "psc/core/suggestion.h"
#include "psc/study/lineage.h"

#include <QRegularExpression>
#include <QStringList>

#include <algorithm>
#include <utility>

namespace psc {

struct TrialFilter::Condition
{
    enum class Kind
    {
        Metric,
        State,
        Origin,
        ChildrenOf,
        FamilyOf,
        Starred,    ///< in the shortlist (negate: not)
        ProposedBy, ///< Trial::proposedBy is `origin` ("mobo:model"), or starts with it and ":" ("mobo")
    };
    Kind kind = Kind::Metric;
    Constraint constraint;
    TrialState state = TrialState::Complete;
    QString origin;
    bool negate = false;
    qint64 number = 0;
};

namespace {

const QStringList kOrigins{QStringLiteral("search"), QStringLiteral("compressed"), QStringLiteral("imported")};

QString originOf(const Trial &t)
{
    return isImported(t) ? kOrigins[2] : t.parentId ? kOrigins[1] : kOrigins[0];
}

std::vector<std::string> stateNames()
{
    std::vector<std::string> names;
    for (TrialState s : {TrialState::Pending, TrialState::Running, TrialState::Complete, TrialState::Failed,
                         TrialState::Infeasible, TrialState::Pruned})
        names.emplace_back(toString(s));
    return names;
}

} // namespace

TrialFilter::TrialFilter(QObject *parent) : QObject(parent) {}

TrialFilter::~TrialFilter() = default;

void TrialFilter::setShortlist(const Shortlist *shortlist)
{
    if (m_shortlist)
        disconnect(m_shortlist, nullptr, this, nullptr);
    m_shortlist = shortlist;
    if (!m_shortlist)
        return;
    // A "starred" clause follows the shortlist as it changes.
    auto refilter = [this] {
        if (std::any_of(m_conditions.begin(), m_conditions.end(),
                        [](const Condition &c) { return c.kind == Condition::Kind::Starred; }))
            emit changed();
    };
    connect(m_shortlist, &Shortlist::changed, this, refilter);
    connect(m_shortlist, &Shortlist::restored, this, refilter);
}

bool TrialFilter::setExpression(const QString &text, const std::vector<MetricRef> &metrics, QString *error)
{
    std::vector<Condition> conditions;
    // Clauses with the column each starts at (1-based), split at ";" and at the word "and".
    static const QRegularExpression separator(QStringLiteral(";|\\band\\b"), QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression choice(QStringLiteral("^(state|origin)\\s*(!=|==|=)\\s*([a-z_]+)$"),
                                           QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression strategy(
        QStringLiteral("^strategy\\s*(!=|==|=)\\s*([a-z0-9_.-]+(?::[a-z0-9_.-]+)?)$"),
        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression lineage(QStringLiteral("^(children|family)\\s+of\\s+#?(\\d+)$"),
                                            QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression starred(QStringLiteral("^(not\\s+)?starred$"),
                                            QRegularExpression::CaseInsensitiveOption);
    std::vector<std::string> metricNames;
    for (const MetricRef &m : metrics)
        metricNames.push_back(m.toString());
    auto fail = [error](qsizetype column, const QString &what) {
        if (error)
            *error = tr("column %1: %2").arg(column).arg(what);
        return false;
    };
    qsizetype start = 0;
    while (start <= text.size()) {
        const QRegularExpressionMatch sep = separator.match(text, start);
        const qsizetype end = sep.hasMatch() ? sep.capturedStart() : text.size();
        const QString raw = text.mid(start, end - start);
        const QString clause = raw.trimmed();
        const qsizetype column = start + raw.indexOf(clause) + 1;
        start = sep.hasMatch() ? sep.capturedEnd() : text.size() + 1;
        if (clause.isEmpty())
            continue;
        Condition c;
        if (const QRegularExpressionMatch m = choice.match(clause); m.hasMatch()) {
            c.negate = m.captured(2) == QLatin1String("!=");
            const QString value = m.captured(3).toLower();
            if (m.captured(1).toLower() == QLatin1String("state")) {
                const auto state = trialStateFromString(value.toStdString());
                if (!state)
                    return fail(column,
                                tr("unknown state \"%1\"; expected one of pending, running, complete, failed, "
                                   "infeasible, pruned%2")
                                    .arg(value, QString::fromStdString(didYouMean(value.toStdString(), stateNames()))));
                c.kind = Condition::Kind::State;
                c.state = *state;
            } else {
                if (!kOrigins.contains(value))
                    return fail(column,
                                tr("unknown origin \"%1\"; expected search, compressed or imported").arg(value));
                c.kind = Condition::Kind::Origin;
                c.origin = value;
            }
        } else if (const QRegularExpressionMatch sm = strategy.match(clause); sm.hasMatch()) {
            // The values this study's trials record: "mobo:initial", "mobo:model", and "mobo" alone.
            std::vector<std::string> known;
            if (m_trials)
                for (const Trial &t : m_trials->trials())
                    if (!t.proposedBy.empty()) {
                        for (const std::string &v : {t.proposedBy, t.proposedBy.substr(0, t.proposedBy.find(':'))})
                            if (std::find(known.begin(), known.end(), v) == known.end())
                                known.push_back(v);
                    }
            const QString value = sm.captured(2).toLower();
            if (known.empty())
                return fail(column, tr("no trial of this study records the strategy that proposed it (studies made "
                                       "before Paretoscope recorded it, or without search trials)"));
            if (std::find(known.begin(), known.end(), value.toStdString()) == known.end()) {
                std::string list;
                for (const std::string &v : known)
                    list += (list.empty() ? "" : ", ") + v;
                return fail(column, tr("no trial was proposed by \"%1\"%2 (this study has: %3)")
                                        .arg(value, QString::fromStdString(didYouMean(value.toStdString(), known)),
                                             QString::fromStdString(list)));
            }
            c.kind = Condition::Kind::ProposedBy;
            c.negate = sm.captured(1) == QLatin1String("!=");
            c.origin = value;
        } else if (const QRegularExpressionMatch st = starred.match(clause); st.hasMatch()) {
            c.kind = Condition::Kind::Starred;
            c.negate = !st.captured(1).isEmpty();
        } else if (const QRegularExpressionMatch l = lineage.match(clause); l.hasMatch()) {
            c.kind = l.captured(1).toLower() == QLatin1String("children") ? Condition::Kind::ChildrenOf
                                                                          : Condition::Kind::FamilyOf;
            c.number = l.captured(2).toLongLong();
        } else {
            std::string why;
            const auto constraint = parseConstraint(clause.toStdString(), &why);
            if (!constraint)
                return fail(
                    column,
                    QString::fromStdString(why) +
                        tr(" (or state = ..., origin = ..., strategy = ..., children of N, family of N, starred)"));
            if (std::find(metrics.begin(), metrics.end(), constraint->metric) == metrics.end())
                return fail(column,
                            tr("this study has no metric \"%1\"%2")
                                .arg(QString::fromStdString(constraint->metric.toString()),
                                     QString::fromStdString(didYouMean(constraint->metric.toString(), metricNames))));
            c.constraint = *constraint;
        }
        conditions.push_back(std::move(c));
    }
    m_conditions = std::move(conditions);
    m_expression = text.trimmed();
    emit changed();
    return true;
}

bool TrialFilter::meets(const Condition &c, const Trial &trial) const
{
    switch (c.kind) {
    case Condition::Kind::Metric: {
        const auto v = metricValue(trial, c.constraint.metric);
        return v && c.constraint.isSatisfiedBy(*v);
    }
    case Condition::Kind::State:
        return (trial.state == c.state) != c.negate;
    case Condition::Kind::Origin:
        return (originOf(trial) == c.origin) != c.negate;
    case Condition::Kind::ProposedBy: {
        const QString by = QString::fromStdString(trial.proposedBy);
        const bool match = by == c.origin || by.startsWith(c.origin + QLatin1Char(':'));
        return match != c.negate;
    }
    case Condition::Kind::Starred:
        return (m_shortlist && m_shortlist->isStarred(trial.number)) != c.negate;
    case Condition::Kind::ChildrenOf:
    case Condition::Kind::FamilyOf: {
        if (c.kind == Condition::Kind::FamilyOf && trial.number == c.number)
            return true;
        // Up the lineage: a child's parent, for "family" its parent's parent and so on (bounded: lineages are short,
        // and a damaged file must not loop).
        const Trial *t = &trial;
        for (int depth = 0; depth < 64 && t->parentId && m_trials; ++depth) {
            const Trial *parent = m_trials->find(*t->parentId);
            if (!parent)
                return false;
            if (parent->number == c.number)
                return true;
            if (c.kind == Condition::Kind::ChildrenOf)
                return false;
            t = parent;
        }
        return false;
    }
    }
    return false;
}

void TrialFilter::setRange(const MetricRef &metric, double low, double high)
{
    if (low > high)
        std::swap(low, high);
    const Range r{metric, low, high};
    for (Range &existing : m_ranges)
        if (existing.metric == metric) {
            if (existing == r)
                return;
            existing = r;
            emit changed();
            return;
        }
    m_ranges.push_back(r);
    emit changed();
}

bool TrialFilter::clearRange(const MetricRef &metric)
{
    const auto it = std::find_if(m_ranges.begin(), m_ranges.end(), [&](const Range &r) { return r.metric == metric; });
    if (it == m_ranges.end())
        return false;
    m_ranges.erase(it);
    emit changed();
    return true;
}

void TrialFilter::clear()
{
    if (m_ranges.empty() && m_conditions.empty())
        return;
    m_ranges.clear();
    m_conditions.clear();
    m_expression.clear();
    emit changed();
}

const TrialFilter::Range *TrialFilter::range(const MetricRef &metric) const
{
    for (const Range &r : m_ranges)
        if (r.metric == metric)
            return &r;
    return nullptr;
}

bool TrialFilter::accepts(const Trial &trial) const
{
    for (const Range &r : m_ranges) {
        const auto v = metricValue(trial, r.metric);
        if (!v || *v < r.low || *v > r.high)
            return false;
    }
    for (const Condition &c : m_conditions)
        if (!meets(c, trial))
            return false;
    return true;
}

QString TrialFilter::describe() const
{
    QStringList parts;
    if (!m_conditions.empty())
        parts << m_expression;
    for (const Range &r : m_ranges)
        parts << QStringLiteral("%1 %2 to %3")
                     .arg(metricLabel(r.metric), formatMetricValue(r.metric, r.low),
                          formatMetricValue(r.metric, r.high));
    return parts.join(QStringLiteral(", "));
}

} // namespace psc
