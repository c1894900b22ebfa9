// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/compareview.h"

#include "models/architecturediff.h"
#include "models/metricformat.h"
#include "models/networkcosts.h"
#include "models/shortlist.h"
#include "models/trialset.h"
#include "models/trialsummary.h"
#include "plot/frontsketch.h"

#include "psc/core/siformat.h"
#include "psc/net/networkparser.h"
#include "psc/targets/targetlibrary.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <optional>

namespace psc {
namespace {

constexpr int kMaxTrials = 4;

/** Light green, or a dark one on a dark palette (the presentation mode's dark theme). */
QColor bestColour(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128 ? QColor(0x2e, 0x5e, 0x2e) : QColor(0xd6, 0xef, 0xd6);
}

QTableWidgetItem *item(const QString &text, Qt::Alignment align = Qt::AlignRight | Qt::AlignVCenter)
{
    auto *it = new QTableWidgetItem(text);
    it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    it->setTextAlignment(align);
    return it;
}

std::optional<NetworkDescription> network(const Trial &trial)
{
    if (trial.architectureJson.empty())
        return std::nullopt;
    try {
        return parseNetworkJson(trial.architectureJson, "trial " + std::to_string(trial.number));
    } catch (const std::exception &) {
        return std::nullopt;
    }
}

} // namespace

QColor CompareView::trialColour(int i)
{
    static const QColor colours[kMaxTrials] = {
        {0x1f, 0x77, 0xb4}, {0xd6, 0x27, 0x28}, {0x2c, 0xa0, 0x2c}, {0x94, 0x67, 0xbd}};
    return colours[std::clamp(i, 0, kMaxTrials - 1)];
}

CompareView::CompareView(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("compareTitle"));
    m_title->setTextFormat(Qt::RichText);
    m_title->setWordWrap(true);

    m_metrics = new QTableWidget(this);
    m_metrics->setObjectName(QStringLiteral("compareMetrics"));
    m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metrics->setAlternatingRowColors(true);
    m_metrics->verticalHeader()->setDefaultSectionSize(m_metrics->fontMetrics().height() + 6);
    m_metrics->horizontalHeader()->setStretchLastSection(true);
    m_metrics->setToolTip(tr("Every metric the trials have; the best of each row is bold on green"));

    auto *layersPage = new QWidget(this);
    m_targetMenu = new QComboBox(layersPage);
    m_targetMenu->setObjectName(QStringLiteral("compareTargetMenu"));
    m_targetMenu->setToolTip(tr("The target whose per-layer cost the table shows (the study's targets first)"));
    m_targetMenu->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_targetMenu->setMinimumContentsLength(24);
    m_quantityMenu = new QComboBox(layersPage);
    m_quantityMenu->setObjectName(QStringLiteral("compareQuantityMenu"));
    m_quantityMenu->addItem(tr("Latency"), int(Quantity::Latency));
    m_quantityMenu->addItem(tr("Energy"), int(Quantity::Energy));
    m_quantityMenu->addItem(tr("Cycles"), int(Quantity::Cycles));
    m_quantityMenu->addItem(tr("Working memory"), int(Quantity::WorkingMemory));
    m_quantityMenu->setToolTip(tr("The cost per layer shown beside each layer's weight bytes"));
    m_layers = new QTableWidget(layersPage);
    m_layers->setObjectName(QStringLiteral("compareLayers"));
    m_layers->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_layers->setAlternatingRowColors(true);
    m_layers->verticalHeader()->setDefaultSectionSize(m_layers->fontMetrics().height() + 6);
    auto *choices = new QHBoxLayout;
    choices->addWidget(new QLabel(tr("Target:"), layersPage));
    choices->addWidget(m_targetMenu, 1);
    choices->addWidget(new QLabel(tr("Cost:"), layersPage));
    choices->addWidget(m_quantityMenu);
    auto *layersLayout = new QVBoxLayout(layersPage);
    layersLayout->setContentsMargins(0, 4, 0, 0);
    layersLayout->addLayout(choices);
    layersLayout->addWidget(m_layers, 1);
    connect(m_targetMenu, &QComboBox::currentIndexChanged, this, &CompareView::fillLayers);
    connect(m_quantityMenu, &QComboBox::currentIndexChanged, this, &CompareView::fillLayers);

    m_architecture = new QTextBrowser(this);
    m_architecture->setObjectName(QStringLiteral("compareArchitecture"));

    m_front = new QCustomPlot(this);
    m_front->setObjectName(QStringLiteral("compareFront"));
    m_front->setMinimumHeight(200);
    m_front->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("compareTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_metrics, tr("Metrics"));
    m_tabs->addTab(layersPage, tr("Layers"));
    m_tabs->addTab(m_architecture, tr("Architecture"));
    m_tabs->addTab(m_front, tr("On the front"));
    m_tabs->setTabToolTip(0, tr("Every metric side by side, the best of each highlighted"));
    m_tabs->setTabToolTip(1, tr("Weight bytes and cost per layer on one target"));
    m_tabs->setTabToolTip(2, tr("Layers added, removed and changed from the first trial's network"));
    m_tabs->setTabToolTip(3, tr("Where the trials sit among all trials of the study"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_tabs, 1);
}

CompareView::~CompareView() = default;

void CompareView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        for (QTableWidget *table : {m_metrics, m_layers})
            table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
}

void CompareView::setContext(const TrialSet *set, const TargetLibrary *library, const Shortlist *shortlist)
{
    m_set = set;
    m_library = library;
    m_shortlist = shortlist;
    fillTargetMenu();
}

void CompareView::fillTargetMenu()
{
    const QString current = m_targetMenu->currentData().toString();
    const QSignalBlocker block(m_targetMenu);
    m_targetMenu->clear();
    if (!m_library)
        return;
    const QStringList own = m_set && m_set->hasStudy() ? studyTargets(m_set->spec()) : QStringList();
    QStringList ids = own;
    for (const TargetDefinition *d : m_library->definitions())
        if (!ids.contains(QString::fromStdString(d->id)))
            ids << QString::fromStdString(d->id);
    for (const QString &id : ids)
        if (const TargetDefinition *d = m_library->find(id.toStdString()))
            m_targetMenu->addItem(
                QStringLiteral("%1%2 — %3")
                    .arg(id, own.contains(id) ? tr(" (study)") : QString(), QString::fromStdString(d->name)),
                id);
    const int i = m_targetMenu->findData(current);
    m_targetMenu->setCurrentIndex(i >= 0 ? i : 0);
}

void CompareView::setTrials(std::vector<Trial> trials, std::vector<WeightValues> weights)
{
    const int given = int(trials.size());
    if (trials.size() > std::size_t(kMaxTrials))
        trials.resize(std::size_t(kMaxTrials));
    weights.resize(trials.size());
    m_trials = std::move(trials);
    m_weights = std::move(weights);
    QStringList names;
    for (std::size_t i = 0; i < m_trials.size(); ++i)
        names << QStringLiteral("<span style='color:%1'>■</span> <b>trial %2</b>")
                     .arg(trialColour(int(i)).name())
                     .arg(m_trials[i].number);
    QString text = m_trials.empty() ? tr("<i>Choose two to four trials to compare (select rows in the table, or star "
                                         "them into the shortlist).</i>")
                                    : tr("Comparing %1").arg(names.join(QStringLiteral(", ")));
    if (given > kMaxTrials)
        text += tr(" — the first %1 of the %2 chosen").arg(kMaxTrials).arg(given);
    m_title->setText(text);
    fillMetrics();
    fillLayers();
    fillArchitecture();
    fillFront();
}

bool CompareView::setLayerTarget(const QString &id)
{
    const int i = m_targetMenu->findData(id);
    if (i < 0)
        return false;
    m_targetMenu->setCurrentIndex(i);
    return true;
}

void CompareView::setLayerQuantity(Quantity quantity)
{
    m_quantityMenu->setCurrentIndex(m_quantityMenu->findData(int(quantity)));
}

void CompareView::fillMetrics()
{
    m_metrics->clear();
    const int n = int(m_trials.size());
    m_metrics->setColumnCount(n);
    QStringList headers;
    for (const Trial &t : m_trials)
        headers << tr("Trial %1").arg(t.number);
    m_metrics->setHorizontalHeaderLabels(headers);
    for (int c = 0; c < n; ++c)
        m_metrics->horizontalHeaderItem(c)->setForeground(trialColour(c));
    if (n == 0 || !m_set || !m_set->hasStudy()) {
        m_metrics->setRowCount(0);
        return;
    }
    const StudySpec &spec = m_set->spec();
    // Rows: the study's metrics, then every other metric a compared trial has (model metrics, then by target).
    std::vector<MetricRef> rows = studyMetrics(spec);
    std::vector<MetricRef> model, target;
    const std::vector<Trial> none;
    for (const Trial &t : m_compact ? none : m_trials) // compact: the study's own metrics only
        for (const Metric &m : t.metrics) {
            const MetricRef ref{m.name, m.target};
            if (std::find(rows.begin(), rows.end(), ref) != rows.end())
                continue;
            std::vector<MetricRef> &into = ref.target.empty() ? model : target;
            if (std::find(into.begin(), into.end(), ref) == into.end())
                into.push_back(ref);
        }
    std::stable_sort(target.begin(), target.end(),
                     [](const MetricRef &a, const MetricRef &b) { return a.target < b.target; });
    rows.insert(rows.end(), model.begin(), model.end());
    rows.insert(rows.end(), target.begin(), target.end());
    // Drop rows no compared trial has a value for.
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [this](const MetricRef &m) {
                                  return std::none_of(m_trials.begin(), m_trials.end(),
                                                      [&](const Trial &t) { return metricValue(t, m).has_value(); });
                              }),
               rows.end());

    const QStringList info{tr("Origin"), tr("Pareto rank"), tr("Note")};
    m_metrics->setRowCount(int(info.size() + qsizetype(rows.size())));
    QStringList labels = info;
    for (int c = 0; c < n; ++c) {
        const Trial &t = m_trials[std::size_t(c)];
        QString origin = tr("search");
        if (!compressionVariantSummary(t).isEmpty())
            origin = tr("compressed: %1").arg(compressionVariantSummary(t));
        else if (t.parentId)
            origin = tr("derived from another trial");
        m_metrics->setItem(0, c, item(origin, Qt::AlignLeft | Qt::AlignVCenter));
        const int index = m_set->indexOf(t.id);
        const int rank = index >= 0 ? m_set->rank(index) : -1;
        m_metrics->setItem(1, c,
                           item(rank == 0  ? tr("on the front")
                                : rank > 0 ? tr("rank %1 (behind the front)").arg(rank)
                                           : tr("not ranked (%1)").arg(trialStateText(t))));
        m_metrics->setItem(
            2, c, item(m_shortlist ? m_shortlist->note(t.number) : QString(), Qt::AlignLeft | Qt::AlignVCenter));
    }
    int r = int(info.size());
    for (const MetricRef &metric : rows) {
        const bool objective = isObjective(spec, metric);
        labels << metricLabel(metric) +
                      (objective ? (metricDirection(spec, metric) == Direction::Maximize ? QStringLiteral(" ↑")
                                                                                         : QStringLiteral(" ↓"))
                                 : QString());
        std::vector<std::optional<double>> values;
        for (const Trial &t : m_trials)
            values.push_back(metricValue(t, metric));
        // The best value, if the values differ at all.
        std::optional<double> best;
        bool differ = false;
        const bool maximise = metricDirection(spec, metric) == Direction::Maximize;
        for (const auto &v : values)
            if (v && std::isfinite(*v)) {
                if (best && *best != *v)
                    differ = true;
                if (!best || (maximise ? *v > *best : *v < *best))
                    best = *v;
            }
        for (int c = 0; c < n; ++c) {
            const auto &v = values[std::size_t(c)];
            QTableWidgetItem *cell = item(v ? formatMetricValue(metric, *v) : QStringLiteral("–"));
            if (differ && v && *v == *best) {
                QFont bold = cell->font();
                bold.setBold(true);
                cell->setFont(bold);
                cell->setBackground(bestColour(palette()));
                cell->setToolTip(maximise ? tr("The highest of the compared trials")
                                          : tr("The lowest of the compared trials"));
            }
            m_metrics->setItem(r, c, cell);
        }
        m_metrics->setVerticalHeaderItem(r, new QTableWidgetItem(labels.back()));
        m_metrics->verticalHeaderItem(r)->setToolTip(QString::fromStdString(metric.toString()));
        if (objective) {
            QFont bold = m_metrics->font();
            bold.setBold(true);
            m_metrics->verticalHeaderItem(r)->setFont(bold);
        }
        ++r;
    }
    for (int i = 0; i < int(info.size()); ++i)
        m_metrics->setVerticalHeaderItem(i, new QTableWidgetItem(info[i]));
    m_metrics->resizeColumnsToContents();
}

void CompareView::fillLayers()
{
    m_layers->clear();
    m_layers->setRowCount(0);
    const int n = int(m_trials.size());
    const QString targetId = m_targetMenu->currentData().toString();
    const auto quantity = Quantity(m_quantityMenu->currentData().toInt());
    if (n == 0 || !m_library || targetId.isEmpty()) {
        m_layers->setColumnCount(0);
        return;
    }
    const QString unit = quantity == Quantity::Latency         ? QStringLiteral("s")
                         : quantity == Quantity::Energy        ? QStringLiteral("J")
                         : quantity == Quantity::WorkingMemory ? QStringLiteral("B")
                                                               : QString();
    // Per trial: layer -> (weight bytes, cost); layers in order of first appearance.
    QStringList order;
    std::vector<std::map<QString, std::pair<std::int64_t, double>>> perTrial(static_cast<std::size_t>(n));
    std::vector<QString> problems(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) {
        const Trial &t = m_trials[std::size_t(c)];
        const std::optional<NetworkDescription> net = network(t);
        if (!net) {
            problems[std::size_t(c)] = tr("no readable architecture");
            continue;
        }
        try {
            const WeightValues *w = m_weights[std::size_t(c)].empty() ? nullptr : &m_weights[std::size_t(c)];
            const NetworkCosts costs = estimateOnTargets(*m_library, *net, w, {targetId});
            if (costs.estimates.empty())
                continue;
            for (const plugin::LayerCost &l : costs.estimates.front().layers) {
                const QString name = QString::fromStdString(l.layer);
                const double value = quantity == Quantity::Latency  ? l.latencyS
                                     : quantity == Quantity::Energy ? l.energyJ
                                     : quantity == Quantity::Cycles ? l.cycles
                                                                    : double(l.workingMemoryBytes);
                const auto bytes = costs.weightBytes.find(l.layer);
                perTrial[std::size_t(c)][name] = {bytes == costs.weightBytes.end() ? 0 : bytes->second, value};
                if (!order.contains(name))
                    order << name;
            }
        } catch (const std::exception &e) {
            problems[std::size_t(c)] = QString::fromUtf8(e.what());
        }
    }
    m_layers->setColumnCount(1 + 2 * n);
    m_layers->setRowCount(int(order.size()) + 1);
    QStringList headers{tr("Layer")};
    for (const Trial &t : m_trials)
        headers << tr("#%1 weights").arg(t.number)
                << tr("#%1 %2").arg(t.number).arg(m_quantityMenu->currentText().toLower());
    m_layers->setHorizontalHeaderLabels(headers);
    for (int c = 0; c < n; ++c)
        for (int k = 1; k <= 2; ++k)
            m_layers->horizontalHeaderItem(1 + 2 * c + k - 1)->setForeground(trialColour(c));
    auto costText = [&](double v) {
        if (!std::isfinite(v))
            return QStringLiteral("–");
        return unit.isEmpty() ? QString::number(v, 'f', 0)
                              : QString::fromStdString(formatQuantity(v, unit.toStdString()));
    };
    std::vector<std::int64_t> totalBytes(static_cast<std::size_t>(n), 0);
    std::vector<double> totalCost(static_cast<std::size_t>(n), 0.0);
    for (int r = 0; r < int(order.size()); ++r) {
        m_layers->setItem(r, 0, item(order[r], Qt::AlignLeft | Qt::AlignVCenter));
        for (int c = 0; c < n; ++c) {
            const auto &layers = perTrial[std::size_t(c)];
            const auto it = layers.find(order[r]);
            if (it == layers.end()) {
                m_layers->setItem(r, 1 + 2 * c, item(tr("absent")));
                m_layers->setItem(r, 2 + 2 * c, item(QString()));
                m_layers->item(r, 1 + 2 * c)->setForeground(QColor(0x90, 0x90, 0x90));
                continue;
            }
            totalBytes[std::size_t(c)] += it->second.first;
            if (std::isfinite(it->second.second))
                totalCost[std::size_t(c)] = quantity == Quantity::WorkingMemory
                                                ? std::max(totalCost[std::size_t(c)], it->second.second)
                                                : totalCost[std::size_t(c)] + it->second.second;
            m_layers->setItem(r, 1 + 2 * c,
                              item(it->second.first > 0
                                       ? QString::fromStdString(formatQuantity(double(it->second.first), "B"))
                                       : QString()));
            m_layers->setItem(r, 2 + 2 * c, item(costText(it->second.second)));
        }
    }
    const int last = int(order.size());
    QTableWidgetItem *total =
        item(quantity == Quantity::WorkingMemory ? tr("Total (memory: the largest layer)") : tr("Total"),
             Qt::AlignLeft | Qt::AlignVCenter);
    QFont bold = total->font();
    bold.setBold(true);
    total->setFont(bold);
    m_layers->setItem(last, 0, total);
    for (int c = 0; c < n; ++c) {
        QTableWidgetItem *bytes =
            item(problems[std::size_t(c)].isEmpty()
                     ? QString::fromStdString(formatQuantity(double(totalBytes[std::size_t(c)]), "B"))
                     : problems[std::size_t(c)]);
        QTableWidgetItem *cost =
            item(problems[std::size_t(c)].isEmpty() ? costText(totalCost[std::size_t(c)]) : QString());
        bytes->setFont(bold);
        cost->setFont(bold);
        m_layers->setItem(last, 1 + 2 * c, bytes);
        m_layers->setItem(last, 2 + 2 * c, cost);
    }
    m_layers->resizeColumnsToContents();
}

void CompareView::fillArchitecture()
{
    if (m_trials.size() < 2) {
        m_architecture->setHtml(tr("<i>Compare two or more trials to see how their networks differ.</i>"));
        return;
    }
    const Trial &first = m_trials.front();
    const std::optional<NetworkDescription> reference = network(first);
    QString html;
    html += tr("<p>Each network against <b>trial %1</b>'s (%2).</p>")
                .arg(first.number)
                .arg(architectureSummary(first).toHtmlEscaped());
    for (std::size_t i = 1; i < m_trials.size(); ++i) {
        const Trial &t = m_trials[i];
        html += QStringLiteral("<h3 style='color:%1'>%2</h3>")
                    .arg(trialColour(int(i)).name(), tr("Trial %1 against trial %2").arg(t.number).arg(first.number));
        const std::optional<NetworkDescription> other = network(t);
        if (!reference || !other) {
            html += tr("<p><i>No readable architecture to compare.</i></p>");
            continue;
        }
        const ArchitectureDiff diff = diffArchitectures(*reference, *other);
        if (diff.changes.empty()) {
            html += tr("<p>The same layers with the same settings.</p>");
            continue;
        }
        html += tr("<p>%1 changed, %2 added, %3 removed%4.</p>")
                    .arg(diff.changed(LayerChange::Kind::Changed))
                    .arg(diff.changed(LayerChange::Kind::Added))
                    .arg(diff.changed(LayerChange::Kind::Removed))
                    .arg(diff.folded ? tr(" (batch norms and activations folded into their layers, as deployed)")
                                     : QString());
        html += QStringLiteral("<ul>");
        for (const LayerChange &c : diff.changes) {
            const QString what = c.kind == LayerChange::Kind::Added     ? tr("<b>added</b>")
                                 : c.kind == LayerChange::Kind::Removed ? tr("<b>removed</b>")
                                                                        : tr("changed");
            html +=
                QStringLiteral("<li><tt>%1</tt> (%2) %3").arg(c.layer.toHtmlEscaped(), c.type.toHtmlEscaped(), what);
            if (!c.details.isEmpty())
                html += QStringLiteral(": ") + c.details.join(QStringLiteral("; ")).toHtmlEscaped();
            html += QStringLiteral("</li>");
        }
        html += QStringLiteral("</ul>");
    }
    m_architecture->setHtml(html);
}

void CompareView::fillFront()
{
    if (!m_set || !m_set->hasStudy() || m_set->spec().objectives.empty()) {
        drawFrontSketch(m_front, TrialSet(), {}, {}, {});
        return;
    }
    const StudySpec &spec = m_set->spec();
    const MetricRef y = spec.objectives.front().metric;
    const MetricRef x = spec.objectives.size() > 1 ? spec.objectives[1].metric : studyMetrics(spec).at(1);
    std::vector<MarkedTrial> marked;
    for (std::size_t i = 0; i < m_trials.size(); ++i)
        marked.push_back({m_trials[i].id, trialColour(int(i)), QStringLiteral("#%1").arg(m_trials[i].number)});
    drawFrontSketch(m_front, *m_set, x, y, marked);
}

} // namespace psc
