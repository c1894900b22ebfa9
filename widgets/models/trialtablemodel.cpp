// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialtablemodel.h"

#include "psc/study/lineage.h"

#include "models/metricformat.h"
#include "models/shortlist.h"
#include "models/trialsummary.h"

#include <QColor>
#include <QFont>

#include <algorithm>

namespace psc {

TrialTableModel::TrialTableModel(QObject *parent) : TrialTableModel(nullptr, parent) {}

TrialTableModel::TrialTableModel(TrialSet *trials, QObject *parent)
    : QAbstractTableModel(parent), m_set(trials ? trials : new TrialSet(this))
{
    connect(m_set, &TrialSet::aboutToReset, this, [this] { beginResetModel(); });
    connect(m_set, &TrialSet::wasReset, this, [this] {
        m_metrics = m_set->hasStudy() ? studyMetrics(m_set->spec()) : std::vector<MetricRef>{};
        endResetModel();
    });
    connect(m_set, &TrialSet::trialsAboutToBeAdded, this,
            [this](int first, int last) { beginInsertRows({}, first, last); });
    connect(m_set, &TrialSet::trialsAdded, this, [this] { endInsertRows(); });
    connect(m_set, &TrialSet::trialsChanged, this, &TrialTableModel::emitRowsChanged);
    connect(m_set, &TrialSet::frontChanged, this, &TrialTableModel::emitRowsChanged);
}

TrialTableModel::~TrialTableModel() = default;

void TrialTableModel::setStudy(const StudySpec &spec, std::vector<Trial> trials)
{
    m_set->reset(spec, std::move(trials));
}

void TrialTableModel::clear()
{
    m_set->clear();
}

void TrialTableModel::upsertTrials(const std::vector<Trial> &changed)
{
    m_set->upsert(changed);
}

const StudySpec &TrialTableModel::spec() const
{
    return m_set->spec();
}

const std::vector<Trial> &TrialTableModel::trials() const
{
    return m_set->trials();
}

void TrialTableModel::emitRowsChanged(const QList<int> &rows)
{
    if (rows.empty())
        return;
    std::size_t start = 0;
    const auto n = std::size_t(rows.size());
    for (std::size_t i = 1; i <= n; ++i) {
        if (i == n || rows[qsizetype(i)] != rows[qsizetype(i - 1)] + 1) {
            Q_EMIT dataChanged(index(rows[qsizetype(start)], 0), index(rows[qsizetype(i - 1)], columnCount() - 1));
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
    return m_set->indexOf(id);
}

const Trial *TrialTableModel::trialAt(int row) const
{
    return row >= 0 && row < m_set->size() ? &m_set->trials()[std::size_t(row)] : nullptr;
}

bool TrialTableModel::isOnFront(int row) const
{
    return m_set->isOnFront(row);
}

int TrialTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_set->size();
}

int TrialTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : noteColumn() + 1;
}

QString TrialTableModel::originText(int row) const
{
    const Trial *trial = trialAt(row);
    if (!trial)
        return {};
    const std::optional<Lineage> lineage = decodeLineage(*trial);
    if (lineage && lineage->kind == Lineage::Kind::Imported)
        return tr("imported (%1)").arg(QString::fromStdString(lineage->importedFormat));
    if (!trial->parentId)
        return tr("search");
    const Trial *parent = trialAt(rowOfTrial(*trial->parentId));
    const QString from = parent                             ? QString::number(parent->number)
                         : lineage && lineage->parentNumber ? QString::number(*lineage->parentNumber)
                                                            : QStringLiteral("?");
    const QString variant =
        lineage ? QString::fromStdString(lineage->variantName.empty() ? lineage->variantSummary : lineage->variantName)
                : QString();
    return variant.isEmpty() ? tr("from %1").arg(from) : tr("from %1: %2").arg(from, variant);
}

QString TrialTableModel::columnKey(int column) const
{
    switch (column) {
    case NumberColumn:
        return QStringLiteral("#");
    case StateColumn:
        return QStringLiteral("state");
    case StarColumn:
        return QStringLiteral("shortlist");
    case FrontColumn:
        return QStringLiteral("front");
    case OriginColumn:
        return QStringLiteral("origin");
    default:
        break;
    }
    if (column == errorColumn())
        return QStringLiteral("error");
    if (column == noteColumn())
        return QStringLiteral("note");
    const MetricRef *metric = metricAt(column);
    return metric ? QString::fromStdString(metric->toString()) : QString();
}

QVariant TrialTableModel::displayData(const Trial &trial, int row, int column) const
{
    if (column == OriginColumn)
        return originText(row);
    if (column == NumberColumn)
        return QString::number(trial.number);
    if (column == StateColumn)
        return trialStateText(trial);
    if (column == StarColumn)
        return m_shortlist && m_shortlist->isStarred(trial.number) ? QStringLiteral("★") : QString();
    if (column == FrontColumn)
        return isOnFront(row) ? QStringLiteral("◆") : QString();
    if (column == errorColumn())
        return QString::fromStdString(trial.error);
    if (column == noteColumn())
        return m_shortlist ? m_shortlist->note(trial.number) : QString();
    const MetricRef *metric = metricAt(column);
    const auto value = metricValue(trial, *metric);
    return value ? formatMetricValue(*metric, *value) : QString();
}

QVariant TrialTableModel::rawData(const Trial &trial, int row, int column) const
{
    if (column == OriginColumn)
        return originText(row);
    if (column == NumberColumn)
        return QVariant::fromValue<qlonglong>(trial.number);
    if (column == StateColumn)
        return trialStateText(trial);
    if (column == StarColumn)
        return m_shortlist && m_shortlist->isStarred(trial.number) ? 1 : 0;
    if (column == FrontColumn)
        return isOnFront(row) ? 1 : 0;
    if (column == errorColumn())
        return QString::fromStdString(trial.error);
    if (column == noteColumn())
        return m_shortlist ? m_shortlist->note(trial.number) : QString();
    const auto value = metricValue(trial, *metricAt(column));
    return value ? QVariant(*value) : QVariant();
}

QVariant TrialTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const int column = index.column();
    const Trial &trial = m_set->trials()[std::size_t(row)];
    switch (role) {
    case Qt::DisplayRole:
        return displayData(trial, row, column);
    case RawValueRole:
        return rawData(trial, row, column);
    case TrialIdRole:
        return QVariant::fromValue<qlonglong>(trial.id);
    case Qt::EditRole:
        return column == noteColumn() ? displayData(trial, row, column) : QVariant();
    case Qt::ToolTipRole:
        if (column == StarColumn)
            return m_shortlist && m_shortlist->isStarred(trial.number)
                       ? tr("In the shortlist: click to remove it (Trial ▸ Shortlist, Ctrl+D)")
                       : tr("Click to add trial %1 to the shortlist (Trial ▸ Shortlist, Ctrl+D)").arg(trial.number);
        if (column == noteColumn() && m_shortlist) {
            const QString note = m_shortlist->note(trial.number);
            return note.isEmpty() ? tr("Double-click to write a note on trial %1").arg(trial.number)
                                  : note.toHtmlEscaped();
        }
        return trialToolTip(trial, spec(), isOnFront(row));
    case Qt::TextAlignmentRole:
        if (column == NumberColumn || metricAt(column))
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        if (column == FrontColumn || column == StarColumn)
            return QVariant::fromValue(Qt::AlignCenter);
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        if (column == StarColumn)
            return QColor(0xd0, 0x90, 0x00); // gold, whatever the trial's state
        if (trial.state == TrialState::Failed)
            return QColor(0xb0, 0x30, 0x30);
        if (trial.state == TrialState::Infeasible || trial.state == TrialState::Pending)
            return QColor(0x80, 0x80, 0x80);
        if (trial.state == TrialState::Pruned)
            return QColor(0x5a, 0x70, 0x90);
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

bool TrialTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !m_shortlist || index.column() != noteColumn() ||
        !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return false;
    m_shortlist->setNote(m_set->trials()[std::size_t(index.row())].number, value.toString());
    return true;
}

Qt::ItemFlags TrialTableModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (m_shortlist && index.isValid() && index.column() == noteColumn())
        f |= Qt::ItemIsEditable;
    return f;
}

void TrialTableModel::setShortlist(Shortlist *shortlist)
{
    if (m_shortlist)
        disconnect(m_shortlist, nullptr, this, nullptr);
    m_shortlist = shortlist;
    if (m_shortlist) {
        connect(m_shortlist, &Shortlist::restored, this, [this] {
            if (rowCount() > 0)
                Q_EMIT dataChanged(index(0, StarColumn), index(rowCount() - 1, noteColumn()));
        });
        connect(m_shortlist, &Shortlist::changed, this, [this](qint64 number) {
            if (number < 0) {
                if (rowCount() > 0)
                    Q_EMIT dataChanged(index(0, StarColumn), index(rowCount() - 1, noteColumn()));
                return;
            }
            // Trial numbers are unique within a study; a linear look is fine for one edit.
            const std::vector<Trial> &all = m_set->trials();
            for (std::size_t r = 0; r < all.size(); ++r)
                if (all[r].number == number) {
                    Q_EMIT dataChanged(index(int(r), StarColumn), index(int(r), StarColumn));
                    Q_EMIT dataChanged(index(int(r), noteColumn()), index(int(r), noteColumn()));
                }
        });
    }
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

QString TrialTableModel::headerToolTip(int column) const
{
    if (column == NumberColumn)
        return tr("Trial number: the order in which the search proposed the candidate.");
    if (column == StateColumn)
        return tr("pending, running, complete (trained and measured), infeasible (broke a constraint) or failed; "
                  "\"cached\" marks results reused from an identical earlier trial.");
    if (column == StarColumn)
        return tr("★: in the shortlist. Click a row's cell (or press Ctrl+D) to star or unstar the trial; the "
                  "shortlist is kept in the study file and fills the candidate cards.");
    if (column == noteColumn())
        return tr("Your note on the trial, kept in the study file: double-click to edit.");
    if (column == FrontColumn)
        return tr("◆: on the Pareto front of the study's objectives (no other trial is at least as good in every "
                  "objective and better in one).");
    if (column == OriginColumn)
        return tr("How the trial came to be: proposed by the search, compressed from another trial (its number and "
                  "the variant), or imported from a model file.");
    if (column == errorColumn())
        return tr("Why a trial failed or was infeasible.");
    const MetricRef &metric = *metricAt(column);
    QString tip =
        QStringLiteral("<b>%1</b> (%2)")
            .arg(metricLabel(metric).toHtmlEscaped(), QString::fromStdString(metric.toString()).toHtmlEscaped());
    if (const QString d = metricDescription(metric); !d.isEmpty())
        tip += QStringLiteral("<br>") + d.toHtmlEscaped();
    if (isObjective(spec(), metric))
        tip += QStringLiteral("<br>") + (metricDirection(spec(), metric) == Direction::Maximize
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
    case StarColumn:
        return QStringLiteral("★");
    case FrontColumn:
        return tr("Front");
    case OriginColumn:
        return tr("Origin");
    default:
        break;
    }
    if (section == errorColumn())
        return tr("Error");
    if (section == noteColumn())
        return tr("Note");
    const MetricRef &metric = *metricAt(section);
    if (!isObjective(spec(), metric))
        return metricLabel(metric);
    // The arrow says which way is better for an objective.
    return metricLabel(metric) +
           (metricDirection(spec(), metric) == Direction::Maximize ? QStringLiteral(" ↑") : QStringLiteral(" ↓"));
}

} // namespace psc
