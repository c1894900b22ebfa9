// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialtablemodel.h"

#include "models/metricformat.h"
#include "models/trialsummary.h"

#include "psc/study/studyfront.h"

#include <QColor>
#include <QFont>

#include <algorithm>

namespace psc {

TrialTableModel::TrialTableModel(QObject *parent) : QAbstractTableModel(parent) {}

TrialTableModel::~TrialTableModel() = default;

void TrialTableModel::setStudy(const StudySpec &spec, std::vector<Trial> trials)
{
    beginResetModel();
    m_spec = spec;
    m_metrics = studyMetrics(spec);
    m_trials = std::move(trials);
    m_rowById.clear();
    for (int row = 0; row < int(m_trials.size()); ++row)
        m_rowById[m_trials[std::size_t(row)].id] = row;
    m_onFront.assign(m_trials.size(), 0);
    if (!m_externalRanks)
        updateFront();
    endResetModel();
}

void TrialTableModel::clear()
{
    beginResetModel();
    m_spec = {};
    m_metrics.clear();
    m_trials.clear();
    m_onFront.clear();
    m_rowById.clear();
    endResetModel();
}

void TrialTableModel::upsertTrials(const std::vector<Trial> &changed)
{
    std::vector<int> changedRows;
    std::vector<const Trial *> added;
    for (const Trial &t : changed) {
        if (auto it = m_rowById.find(t.id); it != m_rowById.end()) {
            m_trials[std::size_t(it->second)] = t;
            changedRows.push_back(it->second);
        } else if (std::none_of(added.begin(), added.end(), [&](const Trial *a) { return a->id == t.id; })) {
            added.push_back(&t);
        }
    }
    if (!added.empty()) {
        const int first = int(m_trials.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (const Trial *t : added) {
            m_rowById[t->id] = int(m_trials.size());
            m_trials.push_back(*t);
            m_onFront.push_back(0);
        }
        endInsertRows();
    }
    // A new trial can push others off the front (or a finished one join it): those rows change too.
    if (!m_externalRanks) {
        const std::vector<int> frontChanged = updateFront();
        changedRows.insert(changedRows.end(), frontChanged.begin(), frontChanged.end());
    }
    emitRowsChanged(std::move(changedRows));
}

void TrialTableModel::setStudyRanks(const std::unordered_map<qint64, int> &ranksById)
{
    std::vector<int> changed;
    for (std::size_t i = 0; i < m_trials.size(); ++i) {
        const auto it = ranksById.find(m_trials[i].id);
        const char onFront = it != ranksById.end() && it->second == 0 ? 1 : 0;
        if (m_onFront[i] != onFront) {
            m_onFront[i] = onFront;
            changed.push_back(int(i));
        }
    }
    emitRowsChanged(std::move(changed));
}

std::vector<int> TrialTableModel::updateFront()
{
    std::vector<int> changed;
    const std::vector<int> ranks = paretoRanks(m_trials, m_spec.objectives);
    for (std::size_t i = 0; i < m_trials.size(); ++i) {
        const char onFront = ranks[i] == 0 ? 1 : 0;
        if (m_onFront[i] != onFront) {
            m_onFront[i] = onFront;
            changed.push_back(int(i));
        }
    }
    return changed;
}

void TrialTableModel::emitRowsChanged(std::vector<int> rows)
{
    if (rows.empty())
        return;
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    // One signal per run of consecutive rows: the usual case (the last few trials) is a single signal.
    std::size_t start = 0;
    for (std::size_t i = 1; i <= rows.size(); ++i) {
        if (i == rows.size() || rows[i] != rows[i - 1] + 1) {
            Q_EMIT dataChanged(index(rows[start], 0), index(rows[i - 1], columnCount() - 1));
            start = i;
        }
    }
}

const MetricRef *TrialTableModel::metricAt(int column) const
{
    const int i = column - FirstMetricColumn;
    return i >= 0 && i < int(m_metrics.size()) ? &m_metrics[std::size_t(i)] : nullptr;
}

int TrialTableModel::rowOfTrial(qint64 id) const
{
    const auto it = m_rowById.find(id);
    return it == m_rowById.end() ? -1 : it->second;
}

const Trial *TrialTableModel::trialAt(int row) const
{
    return row >= 0 && row < int(m_trials.size()) ? &m_trials[std::size_t(row)] : nullptr;
}

bool TrialTableModel::isOnFront(int row) const
{
    return row >= 0 && row < int(m_onFront.size()) && m_onFront[std::size_t(row)];
}

int TrialTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_trials.size());
}

int TrialTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : errorColumn() + 1;
}

QVariant TrialTableModel::displayData(const Trial &trial, int row, int column) const
{
    if (column == NumberColumn)
        return QString::number(trial.number);
    if (column == StateColumn)
        return trialStateText(trial);
    if (column == FrontColumn)
        return isOnFront(row) ? QStringLiteral("★") : QString();
    if (column == errorColumn())
        return QString::fromStdString(trial.error);
    const MetricRef *metric = metricAt(column);
    const auto value = metricValue(trial, *metric);
    return value ? formatMetricValue(*metric, *value) : QString();
}

QVariant TrialTableModel::rawData(const Trial &trial, int row, int column) const
{
    if (column == NumberColumn)
        return QVariant::fromValue<qlonglong>(trial.number);
    if (column == StateColumn)
        return trialStateText(trial);
    if (column == FrontColumn)
        return isOnFront(row) ? 1 : 0;
    if (column == errorColumn())
        return QString::fromStdString(trial.error);
    const auto value = metricValue(trial, *metricAt(column));
    return value ? QVariant(*value) : QVariant();
}

QVariant TrialTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const int column = index.column();
    const Trial &trial = m_trials[std::size_t(row)];
    switch (role) {
    case Qt::DisplayRole:
        return displayData(trial, row, column);
    case RawValueRole:
        return rawData(trial, row, column);
    case TrialIdRole:
        return QVariant::fromValue<qlonglong>(trial.id);
    case Qt::ToolTipRole:
        return trialToolTip(trial, m_spec, isOnFront(row));
    case Qt::TextAlignmentRole:
        if (column == NumberColumn || metricAt(column))
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        if (column == FrontColumn)
            return QVariant::fromValue(Qt::AlignCenter);
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        if (trial.state == TrialState::Failed)
            return QColor(0xb0, 0x30, 0x30);
        if (trial.state == TrialState::Infeasible || trial.state == TrialState::Pending)
            return QColor(0x80, 0x80, 0x80);
        if (trial.state == TrialState::Running)
            return QColor(0x20, 0x60, 0xb0);
        return {};
    case Qt::FontRole:
        if (isOnFront(row)) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    default:
        return {};
    }
}

QString TrialTableModel::headerToolTip(int column) const
{
    if (column == NumberColumn)
        return tr("Trial number: the order in which the search proposed the candidate.");
    if (column == StateColumn)
        return tr("pending, running, complete (trained and measured), infeasible (broke a constraint) or failed; "
                  "\"cached\" marks results reused from an identical earlier trial.");
    if (column == FrontColumn)
        return tr("★: on the Pareto front of the study's objectives (no other trial is at least as good in every "
                  "objective and better in one).");
    if (column == errorColumn())
        return tr("Why a trial failed or was infeasible.");
    const MetricRef &metric = *metricAt(column);
    QString tip =
        QStringLiteral("<b>%1</b> (%2)")
            .arg(metricLabel(metric).toHtmlEscaped(), QString::fromStdString(metric.toString()).toHtmlEscaped());
    if (const QString d = metricDescription(metric); !d.isEmpty())
        tip += QStringLiteral("<br>") + d.toHtmlEscaped();
    if (isObjective(m_spec, metric))
        tip += QStringLiteral("<br>") + (metricDirection(m_spec, metric) == Direction::Maximize
                                             ? tr("Objective: maximised.")
                                             : tr("Objective: minimised."));
    return tip;
}

QVariant TrialTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount())
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::ToolTipRole)
        return headerToolTip(section);
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NumberColumn:
        return tr("#");
    case StateColumn:
        return tr("State");
    case FrontColumn:
        return tr("Front");
    default:
        break;
    }
    if (section == errorColumn())
        return tr("Error");
    const MetricRef &metric = *metricAt(section);
    if (!isObjective(m_spec, metric))
        return metricLabel(metric);
    // The arrow says which way is better for an objective.
    return metricLabel(metric) +
           (metricDirection(m_spec, metric) == Direction::Maximize ? QStringLiteral(" ↑") : QStringLiteral(" ↓"));
}

} // namespace psc
