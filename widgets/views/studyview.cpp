// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/studyview.h"

#include "models/metricformat.h"
#include "models/shortlist.h"
#include "models/trialfilter.h"
#include "models/trialset.h"
#include "models/trialsortproxymodel.h"
#include "models/trialtablemodel.h"
#include "plot/convergenceplot.h"
#include "plot/parallelcoordinates.h"
#include "plot/paretoplotwidget.h"
#include "plot/scattermatrix.h"
#include "views/candidatecards.h"
#include "views/drifttimecontrol.h"
#include "views/errorlabel.h"
#include "views/frozencolumntableview.h"
#include "views/replaycontrol.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSettings>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace psc {
namespace {

QFont boldFont(QFont font)
{
    font.setBold(true); // rows on the front are bold
    return font;
}

} // namespace

StudyView::StudyView(QWidget *parent) : QWidget(parent), m_trials(new TrialSet(this))
{
    // One copy of the trials for the table and the plot, ranked once per change off the GUI thread.
    m_trials->setRanking(TrialSet::Ranking::Background);
    m_model = new TrialTableModel(m_trials, this);
    m_shortlist = new Shortlist(this);
    m_model->setShortlist(m_shortlist);
    m_proxy = new TrialSortProxyModel(this);
    m_proxy->setSourceModel(m_model);
    // The # column stays in view when the table scrolls sideways.
    m_table = new FrozenColumnTableView(this);
    m_table->setObjectName(QStringLiteral("trialTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(TrialTableModel::NumberColumn, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    // Several rows may be selected (to copy them); the trial shown everywhere else is the current row's.
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    auto *copy = new QAction(tr("&Copy Rows"), m_table);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    copy->setToolTip(tr("Copy the selected trials as tab-separated text, with the column titles"));
    connect(copy, &QAction::triggered, this, [this] {
        if (const QString text = selectedRowsAsTsv(); !text.isEmpty())
            QGuiApplication::clipboard()->setText(text);
    });
    m_table->addAction(copy);
    // The header's context menu chooses the columns shown (kept in the settings for every study).
    m_table->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->horizontalHeader()->setToolTip(QString());
    connect(m_table->horizontalHeader(), &QHeaderView::customContextMenuRequested, this, &StudyView::showColumnMenu);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionsMovable(true);
    m_table->setToolTip(QString()); // cells carry their own tooltips
    m_table->setWhatsThis(tr("Every trial of the study. Click a header to sort; ◆ marks the Pareto front of the "
                             "study's objectives, ↑/↓ in a header says whether the objective is maximised or "
                             "minimised. Selecting a row highlights the trial in the plot."));

    m_plot = new ParetoPlotWidget(this, m_trials);
    m_plot->setObjectName(QStringLiteral("paretoPlot"));

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("studySplitter"));
    // The front, and beside it how the search got there.
    m_convergence = new ConvergencePlot(m_trials, this);
    m_convergence->setObjectName(QStringLiteral("convergencePlot"));
    // While a replay shows part of the study, the hypervolume so far sits beside the front.
    m_replayConvergence = new ConvergencePlot(m_trials, this);
    m_replayConvergence->setObjectName(QStringLiteral("replayConvergence"));
    m_replayConvergence->setSummaryVisible(false);
    m_replayConvergence->setMinimumWidth(180); // never drawn at zero width (QCustomPlot warns of an empty buffer)
    m_replayConvergence->hide();
    auto *front = new QSplitter(Qt::Horizontal, this);
    front->setObjectName(QStringLiteral("frontSplitter"));
    front->addWidget(m_plot);
    front->addWidget(m_replayConvergence);
    front->setStretchFactor(0, 3);
    front->setStretchFactor(1, 1);
    front->setChildrenCollapsible(false);
    m_plotTabs = new QTabWidget(this);
    m_plotTabs->setObjectName(QStringLiteral("plotTabs"));
    m_plotTabs->setDocumentMode(true);
    m_plotTabs->addTab(front, tr("Pareto front"));
    m_parallel = new ParallelCoordinates(m_trials, this);
    m_plotTabs->addTab(m_parallel, tr("Parallel coordinates"));
    m_plotTabs->setTabToolTip(1, tr("Every objective and constrained metric at once; drag along an axis to filter"));
    m_matrix = new ScatterMatrix(m_trials, this);
    m_plotTabs->addTab(m_matrix, tr("Scatter matrix"));
    m_plotTabs->setTabToolTip(2, tr("Every pair of the study's objectives at once"));
    m_cards = new CandidateCards(m_trials, this);
    m_cards->setObjectName(QStringLiteral("candidateCards"));
    m_plotTabs->addTab(m_cards, tr("Candidates"));
    m_plotTabs->setTabToolTip(3, tr("A card per shortlisted trial and per trial on the front: accuracy, size and "
                                    "cost and fit on each target"));
    m_plotTabs->addTab(m_convergence, tr("Convergence"));
    m_plotTabs->setTabToolTip(4, tr("The study's hypervolume after each trial, and the search strategy"));
    m_drift = new DriftTimeControl(this);
    m_drift->setObjectName(QStringLiteral("driftTimeControl"));
    m_drift->hide();
    auto *plots = new QWidget(this);
    auto *plotsLayout = new QVBoxLayout(plots);
    plotsLayout->setContentsMargins(0, 0, 0, 0);
    plotsLayout->setSpacing(0);
    plotsLayout->addWidget(m_drift);
    plotsLayout->addWidget(m_plotTabs, 1);
    m_replay = new ReplayControl(this);
    m_replay->setObjectName(QStringLiteral("replayControl"));
    plotsLayout->addWidget(m_replay);
    // One filter for the table, the plot and the parallel coordinates; a line above the table says what it keeps.
    m_filter = new TrialFilter(this);
    m_proxy->setTrialFilter(m_filter);
    m_plot->setTrialFilter(m_filter);
    m_parallel->setTrialFilter(m_filter);
    m_matrix->setTrialFilter(m_filter);
    m_cards->setTrialFilter(m_filter);
    m_cards->setShortlist(m_shortlist);
    m_filter->setShortlist(m_shortlist);
    m_filterBar = new QWidget(this);
    m_filterLabel = new QLabel(m_filterBar);
    m_filterLabel->setObjectName(QStringLiteral("filterLabel"));
    m_filterLabel->setWordWrap(true);
    auto *clearFilter = new QToolButton(m_filterBar);
    clearFilter->setObjectName(QStringLiteral("clearFilterButton"));
    clearFilter->setText(tr("Clear"));
    clearFilter->setToolTip(tr("Show every trial again"));
    connect(clearFilter, &QToolButton::clicked, m_filter, &TrialFilter::clear);
    auto *filterRow = new QHBoxLayout(m_filterBar);
    filterRow->setContentsMargins(4, 2, 4, 2);
    filterRow->addWidget(m_filterLabel, 1);
    filterRow->addWidget(clearFilter);
    m_filterBar->hide();
    m_filter->setTrialSet(m_trials);
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setObjectName(QStringLiteral("filterEdit"));
    m_filterEdit->setClearButtonEnabled(true);
    m_filterEdit->setPlaceholderText(tr("Filter: latency_s@stm32f746zg < 20 ms; state = complete; children of 4"));
    m_filterEdit->setToolTip(
        tr("<p>Keep the trials that meet every clause (separated by ; or <i>and</i>), then press Enter:</p><ul>"
           "<li>a metric of the study compared with a number, with a unit if you like: "
           "<tt>accuracy &gt;= 90 %</tt>, <tt>weight_bytes &lt;= 16KiB</tt>, "
           "<tt>latency_s@stm32f746zg &lt; 20 ms</tt></li>"
           "<li><tt>state = complete</tt> (or <tt>!=</tt>): pending, running, complete, failed, infeasible, "
           "pruned</li>"
           "<li><tt>origin = search</tt>: search, compressed or imported</li>"
           "<li><tt>strategy = mobo</tt>, <tt>strategy = mobo:model</tt>: what proposed the trial (the strategy, and "
           "its initial design, model, offspring ...)</li>"
           "<li><tt>children of 4</tt>, <tt>family of 4</tt>: what was compressed from trial 4 (and it)</li>"
           "<li><tt>starred</tt>, <tt>not starred</tt>: in the shortlist (★) or not</li></ul>"
           "<p>The table, the Pareto plot and the parallel coordinates follow.</p>"));
    m_filterError = createErrorLabel(this, QStringLiteral("filterError"));
    m_filterError->hide();
    connect(m_filterEdit, &QLineEdit::returnPressed, this, &StudyView::applyFilterExpression);
    // Clearing the field (its clear button) removes the expression at once.
    connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.isEmpty() && !m_filter->expression().isEmpty())
            applyFilterExpression();
    });
    auto *tableSide = new QWidget(this);
    auto *tableLayout = new QVBoxLayout(tableSide);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->setSpacing(0);
    tableLayout->addWidget(m_filterEdit);
    tableLayout->addWidget(m_filterError);
    tableLayout->addWidget(m_filterBar);
    tableLayout->addWidget(m_table, 1);
    m_splitter->addWidget(tableSide);
    m_splitter->addWidget(plots);
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_splitter);

    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &StudyView::onTableSelectionChanged);
    // A click on a row's ★ cell stars or unstars the trial.
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex &index) {
        if (index.column() != TrialTableModel::StarColumn)
            return;
        if (const Trial *trial = m_model->trialAt(m_proxy->mapToSource(index).row()))
            m_shortlist->toggleStarred(trial->number);
    });
    connect(m_plot, &ParetoPlotWidget::trialClicked, this, &StudyView::onPlotClicked);
    connect(m_replay, &ReplayControl::limitChanged, this, &StudyView::onReplayLimit);
    connect(m_parallel, &ParallelCoordinates::trialClicked, this, &StudyView::onPlotClicked);
    connect(m_matrix, &ScatterMatrix::trialClicked, this, &StudyView::onPlotClicked);
    connect(m_cards, &CandidateCards::trialClicked, this, &StudyView::onPlotClicked);
    connect(m_cards, &CandidateCards::compareRequested, this, &StudyView::compareRequested);
    connect(m_filter, &TrialFilter::changed, this, &StudyView::onFilterChanged);
    connect(m_trials, &TrialSet::updated, this, [this] {
        if (m_filter->isActive())
            onFilterChanged();
    });
    auto followTrials = [this] {
        std::vector<qint64> numbers;
        numbers.reserve(m_trials->trials().size());
        for (const Trial &t : m_trials->trials())
            numbers.push_back(t.number);
        m_replay->setTrialNumbers(std::move(numbers));
    };
    connect(m_trials, &TrialSet::wasReset, this, followTrials);
    connect(m_trials, &TrialSet::trialsAdded, this, followTrials);
}

void StudyView::applyFilterExpression()
{
    QString error;
    if (m_filter->setExpression(m_filterEdit->text(), m_plot->availableMetrics(), &error)) {
        m_filterError->hide();
        return;
    }
    m_filterError->setText(tr("Filter, %1").arg(error));
    m_filterError->show();
}

void StudyView::onFilterChanged()
{
    if (m_filterEdit->text().trimmed() != m_filter->expression()) {
        const QSignalBlocker block(m_filterEdit);
        m_filterEdit->setText(m_filter->expression()); // cleared with the button, or by a new study
    }
    m_filterBar->setVisible(m_filter->isActive());
    if (m_filter->isActive())
        m_filterLabel->setText(tr("<b>Filtered:</b> %1 of %2 trials — %3")
                                   .arg(m_proxy->rowCount())
                                   .arg(m_model->rowCount())
                                   .arg(m_filter->describe().toHtmlEscaped()));
}

void StudyView::onReplayLimit(qint64 limit)
{
    m_plot->setTrialLimit(limit);
    m_convergence->setMarker(limit);
    m_replayConvergence->setMarker(limit);
    m_replayConvergence->setVisible(limit >= 0);
}

StudyView::~StudyView() = default;

void StudyView::setStudy(const StudySpec &spec, std::vector<Trial> trials)
{
    m_filter->clear(); // ranges of the study that was open mean nothing for this one
    m_shortlist->clear();
    m_filterError->hide();
    m_trials->reset(spec, std::move(trials));
    fitColumns();
    applyHiddenColumns();
    selectTrial(-1);
}

namespace {
const QString kHiddenColumnsKey = QStringLiteral("trialTable/hiddenColumns");
}

void StudyView::applyHiddenColumns()
{
    const QStringList hidden = QSettings().value(kHiddenColumnsKey).toStringList();
    for (int c = 0; c < m_model->columnCount(); ++c)
        m_table->setColumnHidden(c, c != TrialTableModel::NumberColumn && hidden.contains(m_model->columnKey(c)));
}

void StudyView::setColumnShown(int column, bool shown)
{
    if (column == TrialTableModel::NumberColumn || column < 0 || column >= m_model->columnCount())
        return;
    QStringList hidden = QSettings().value(kHiddenColumnsKey).toStringList();
    const QString key = m_model->columnKey(column);
    hidden.removeAll(key);
    if (!shown)
        hidden << key;
    QSettings().setValue(kHiddenColumnsKey, hidden);
    m_table->setColumnHidden(column, !shown);
}

void StudyView::showColumnMenu(const QPoint &pos)
{
    QMenu menu(m_table);
    menu.setToolTipsVisible(true);
    for (int c = 0; c < m_model->columnCount(); ++c) {
        QAction *a = menu.addAction(m_model->headerData(c, Qt::Horizontal).toString());
        a->setCheckable(true);
        a->setChecked(!m_table->isColumnHidden(c));
        a->setEnabled(c != TrialTableModel::NumberColumn); // the trial number always shows
        connect(a, &QAction::toggled, this, [this, c](bool on) { setColumnShown(c, on); });
    }
    menu.exec(m_table->horizontalHeader()->viewport()->mapToGlobal(pos));
}

void StudyView::fitColumns()
{
    // Sized for the widest values a column will hold, not the rows there are now: a study that has just
    // started has only pending rows, and columns that widen as trials finish would keep moving.
    const QFontMetrics bold(boldFont(m_table->font()));
    const int padding = 2 * m_table->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_table) + 12;
    for (int c = 0; c < m_model->columnCount(); ++c) {
        QString widest;
        if (c == TrialTableModel::NumberColumn)
            widest = QStringLiteral("0000");
        else if (c == TrialTableModel::StarColumn)
            widest = QStringLiteral("★");
        else if (c == TrialTableModel::StateColumn)
            widest = QStringLiteral("complete (cached)");
        else if (c == TrialTableModel::OriginColumn)
            widest = QStringLiteral("imported (tflite)"); // longer variant names are elided; the tooltip has them
        else if (const MetricRef *metric = m_model->metricAt(c))
            widest = formatMetricValue(*metric, isPercentMetric(*metric) ? 0.8888 : 888.88e6 / 1024.0);
        const int content = widest.isEmpty() ? 0 : bold.horizontalAdvance(widest) + padding;
        m_table->setColumnWidth(c, std::max(content, m_table->horizontalHeader()->sectionSizeHint(c)));
    }
}

void StudyView::upsertTrials(const std::vector<Trial> &changed)
{
    m_trials->upsert(changed);
}

void StudyView::clear()
{
    m_shortlist->clear();
    m_trials->clear();
    selectTrial(-1);
}

qint64 StudyView::selectedTrial() const
{
    return m_selected;
}

void StudyView::selectTrial(qint64 id)
{
    const int row = m_model->rowOfTrial(id);
    if (row < 0) {
        m_table->selectionModel()->clearSelection();
    } else {
        const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
        m_table->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::NoUpdate);
        m_table->scrollTo(index);
    }
    // The selection signal updates the rest; this covers "nothing changed in the table".
    onTableSelectionChanged();
}

QList<qint64> StudyView::selectedTrials() const
{
    QModelIndexList rows = m_table->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QList<qint64> ids;
    for (const QModelIndex &row : rows)
        ids << row.data(TrialTableModel::TrialIdRole).toLongLong();
    return ids;
}

QString StudyView::selectedRowsAsTsv() const
{
    QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    const QHeaderView *header = m_table->horizontalHeader();
    QList<int> columns; // logical, in visual order
    for (int visual = 0; visual < header->count(); ++visual)
        if (const int logical = header->logicalIndex(visual); !header->isSectionHidden(logical))
            columns << logical;
    auto cell = [](QString text) {
        return text.replace(QLatin1Char('\t'), QLatin1Char(' ')).replace(QLatin1Char('\n'), QLatin1Char(' '));
    };
    QStringList lines;
    QStringList titles;
    for (int c : columns)
        titles << cell(m_proxy->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
    lines << titles.join(QLatin1Char('\t'));
    for (const QModelIndex &row : rows) {
        QStringList values;
        for (int c : columns)
            values << cell(m_proxy->index(row.row(), c).data(Qt::DisplayRole).toString());
        lines << values.join(QLatin1Char('\t'));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

void StudyView::onTableSelectionChanged()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    // The current row when it is among the selected (the row clicked last), else the first selected.
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const bool currentSelected = current.isValid() && m_table->selectionModel()->isRowSelected(current.row(), {});
    const qint64 id = rows.isEmpty() ? -1
                      : currentSelected
                          ? m_proxy->index(current.row(), 0).data(TrialTableModel::TrialIdRole).toLongLong()
                          : rows.front().data(TrialTableModel::TrialIdRole).toLongLong();
    m_plot->setSelectedTrial(id);
    m_parallel->setSelectedTrial(id);
    m_matrix->setSelectedTrial(id);
    m_cards->setSelectedTrial(id);
    if (id != m_selected) {
        m_selected = id;
        Q_EMIT selectedTrialChanged(id);
    }
}

void StudyView::onPlotClicked(qint64 id)
{
    selectTrial(id);
}

} // namespace psc
