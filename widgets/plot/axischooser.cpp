// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/axischooser.h"

#include "models/metricformat.h"
#include "plot/flowlayout.h"

#include "psc/targets/targetmetrics.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>
#include <QToolTip>

#include <algorithm>

namespace psc {
namespace {

/** A menu entry's data: "accuracy" for a model metric, "latency_s@" for a target metric of the chosen target. */
QString keyOf(const MetricRef &ref)
{
    return QString::fromStdString(ref.name) + (ref.target.empty() ? QString() : QStringLiteral("@"));
}

bool anyObjectiveNamed(const StudySpec &spec, const MetricRef &ref, Direction *direction)
{
    for (const Objective &o : spec.objectives)
        if (o.metric.name == ref.name && o.metric.target.empty() == ref.target.empty()) {
            *direction = o.direction;
            return true;
        }
    return false;
}

} // namespace

AxisChooser::AxisChooser(QWidget *parent) : QWidget(parent)
{
    m_xMenu = new QComboBox(this);
    m_yMenu = new QComboBox(this);
    m_xMenu->setObjectName(QStringLiteral("xAxisMenu"));
    m_yMenu->setObjectName(QStringLiteral("yAxisMenu"));
    m_xMenu->setToolTip(tr("Metric on the horizontal axis"));
    m_yMenu->setToolTip(tr("Metric on the vertical axis"));
    m_targetMenu = new QComboBox(this);
    m_targetMenu->setObjectName(QStringLiteral("targetMenu"));
    m_targetMenu->setToolTip(tr("Hardware target whose estimates the target metrics (latency, energy, memory) "
                                "show; \"All targets\" draws every target's points in its own colour"));
    m_targetLabel = new QLabel(tr("Target:"), this);
    m_xLog = new QCheckBox(tr("log"), this);
    m_yLog = new QCheckBox(tr("log"), this);
    m_xLog->setToolTip(tr("Logarithmic horizontal axis (for sizes, counts and times)"));
    m_yLog->setToolTip(tr("Logarithmic vertical axis (for sizes, counts and times)"));
    m_help = new QToolButton(this);
    m_help->setIcon(style()->standardIcon(QStyle::SP_MessageBoxQuestion));
    m_help->setAutoRaise(true);
    connect(m_help, &QToolButton::clicked, this, [this] {
        QToolTip::showText(m_help->mapToGlobal(QPoint(0, m_help->height())), m_help->toolTip(), m_help);
    });

    // Groups that wrap as a whole onto a second line when the plot is narrow (a 1280-pixel screen), so no menu is
    // squeezed until its entries are cut.
    auto group = [this](std::initializer_list<QWidget *> widgets) {
        auto *box = new QWidget(this);
        auto *row = new QHBoxLayout(box);
        row->setContentsMargins(0, 0, 0, 0);
        row->setSpacing(4);
        for (QWidget *w : widgets)
            row->addWidget(w);
        return box;
    };
    for (QComboBox *menu : {m_xMenu, m_yMenu, m_targetMenu})
        menu->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    auto *layout = new FlowLayout(this, 12, 2);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(group({new QLabel(tr("X:"), this), m_xMenu, m_xLog}));
    layout->addWidget(group({new QLabel(tr("Y:"), this), m_yMenu, m_yLog}));
    layout->addWidget(group({m_targetLabel, m_targetMenu}));
    layout->addWidget(m_help);

    connect(m_xMenu, &QComboBox::currentIndexChanged, this, &AxisChooser::onMenuChanged);
    connect(m_yMenu, &QComboBox::currentIndexChanged, this, &AxisChooser::onMenuChanged);
    connect(m_targetMenu, &QComboBox::currentIndexChanged, this, &AxisChooser::onMenuChanged);
    connect(m_xLog, &QCheckBox::toggled, this, &AxisChooser::logScaleChanged);
    connect(m_yLog, &QCheckBox::toggled, this, &AxisChooser::logScaleChanged);
    setMetrics({}, {});
}

void AxisChooser::setMetrics(const StudySpec &spec, const std::vector<MetricRef> &metrics)
{
    m_updating = true;
    // The entries: the metrics as given, target metrics folded by name, then the standard target metrics.
    std::vector<MetricRef> entries;
    m_targets.clear();
    int objectiveEntries = 0;
    auto add = [&entries](const MetricRef &ref) {
        const MetricRef key{ref.name, ref.target.empty() ? std::string() : std::string("*")};
        if (std::find(entries.begin(), entries.end(), key) == entries.end())
            entries.push_back(key);
    };
    for (std::size_t i = 0; i < metrics.size(); ++i) {
        add(metrics[i]);
        if (!metrics[i].target.empty() && !m_targets.contains(QString::fromStdString(metrics[i].target)))
            m_targets << QString::fromStdString(metrics[i].target);
        if (i + 1 == spec.objectives.size())
            objectiveEntries = int(entries.size());
    }
    if (!m_targets.isEmpty())
        for (const std::string &name : standardTargetMetricNames())
            if (name != "feasible") // 0 or 1: the crosses already show infeasible trials
                add(MetricRef{name, "*"});

    m_metrics.clear();
    for (const MetricRef &e : entries) {
        if (e.target.empty())
            m_metrics.push_back(e);
        else
            for (const QString &t : m_targets)
                m_metrics.push_back(MetricRef{e.name, t.toStdString()});
    }

    for (QComboBox *menu : {m_xMenu, m_yMenu}) {
        menu->clear();
        for (const MetricRef &e : entries) {
            const MetricRef plain{e.name, {}};
            QString text = metricLabel(plain);
            QString tip = QStringLiteral("<b>%1</b> (%2)").arg(text.toHtmlEscaped(), QString::fromStdString(e.name));
            if (!e.target.empty())
                tip += QStringLiteral("<br>") + tr("Estimated by a hardware target: choose which in the Target menu.");
            else if (const QString d = metricDescription(plain); !d.isEmpty())
                tip += QStringLiteral("<br>") + d.toHtmlEscaped();
            if (Direction direction; anyObjectiveNamed(spec, e, &direction)) {
                const bool max = direction == Direction::Maximize;
                text += max ? QStringLiteral(" ↑") : QStringLiteral(" ↓");
                tip += QStringLiteral("<br>") + (max ? tr("Objective, maximised.") : tr("Objective, minimised."));
            }
            menu->addItem(text, keyOf(e));
            menu->setItemData(menu->count() - 1, tip, Qt::ToolTipRole);
        }
        if (objectiveEntries > 0 && objectiveEntries < menu->count())
            menu->insertSeparator(objectiveEntries);
        menu->setEnabled(!entries.empty());
    }

    m_targetMenu->clear();
    for (const QString &t : m_targets)
        m_targetMenu->addItem(t, t);
    if (!m_targets.isEmpty()) {
        m_targetMenu->insertSeparator(m_targetMenu->count());
        m_targetMenu->addItem(tr("All targets"), QStringLiteral("*"));
        m_targetMenu->setItemData(m_targetMenu->count() - 1,
                                  tr("Every target's points for the chosen target metric, one colour per target"),
                                  Qt::ToolTipRole);
    }
    m_targetLabel->setVisible(!m_targets.isEmpty());
    m_targetMenu->setVisible(!m_targets.isEmpty());
    m_targetMenu->setEnabled(false);
    for (QCheckBox *box : {m_xLog, m_yLog}) {
        const QSignalBlocker block(box);
        box->setChecked(false);
        box->setEnabled(false);
    }
    m_updating = false;
}

QString AxisChooser::currentTarget() const
{
    const QString t = m_targetMenu->currentData().toString();
    return t == QLatin1String("*") && !m_targets.isEmpty() ? m_targets.front() : t;
}

MetricRef AxisChooser::refAt(const QComboBox *menu) const
{
    QString key = menu->currentData().toString();
    if (key.isEmpty())
        return {};
    if (!key.endsWith(QLatin1Char('@')))
        return MetricRef{key.toStdString(), {}};
    key.chop(1);
    return MetricRef{key.toStdString(), currentTarget().toStdString()};
}

MetricRef AxisChooser::x() const
{
    return refAt(m_xMenu);
}

MetricRef AxisChooser::y() const
{
    return refAt(m_yMenu);
}

bool AxisChooser::allTargets() const
{
    return !m_targets.isEmpty() && m_targetMenu->currentData().toString() == QLatin1String("*") &&
           (!x().target.empty() || !y().target.empty());
}

bool AxisChooser::setAxes(const MetricRef &x, const MetricRef &y)
{
    auto offered = [this](const MetricRef &ref) {
        return std::find(m_metrics.begin(), m_metrics.end(), ref) != m_metrics.end();
    };
    if (!offered(x) || !offered(y) || (!x.target.empty() && !y.target.empty() && x.target != y.target))
        return false;
    const std::string target = x.target.empty() ? y.target : x.target;
    m_updating = true;
    m_xMenu->setCurrentIndex(m_xMenu->findData(keyOf(x)));
    m_yMenu->setCurrentIndex(m_yMenu->findData(keyOf(y)));
    if (!target.empty())
        m_targetMenu->setCurrentIndex(m_targetMenu->findData(QString::fromStdString(target)));
    m_updating = false;
    onMenuChanged();
    return true;
}

bool AxisChooser::setTarget(const QString &targetId)
{
    if (m_targets.isEmpty() || (!targetId.isEmpty() && !m_targets.contains(targetId)))
        return false;
    m_targetMenu->setCurrentIndex(m_targetMenu->findData(targetId.isEmpty() ? QStringLiteral("*") : targetId));
    return true;
}

void AxisChooser::onMenuChanged()
{
    if (m_updating)
        return;
    for (auto [box, ref] : {std::pair{m_xLog, x()}, std::pair{m_yLog, y()}}) {
        const QSignalBlocker block(box);
        box->setEnabled(isLogScalable(ref));
        if (!box->isEnabled())
            box->setChecked(false);
    }
    m_targetMenu->setEnabled(!x().target.empty() || !y().target.empty());
    Q_EMIT axesChanged();
}

void AxisChooser::setLogScale(Qt::Orientation axis, bool on)
{
    QCheckBox *box = axis == Qt::Horizontal ? m_xLog : m_yLog;
    box->setChecked(on && box->isEnabled());
}

bool AxisChooser::isLogScale(Qt::Orientation axis) const
{
    return (axis == Qt::Horizontal ? m_xLog : m_yLog)->isChecked();
}

void AxisChooser::setHelpText(const QString &html)
{
    m_help->setToolTip(html);
}

void AxisChooser::addControl(QWidget *widget)
{
    auto *row = static_cast<FlowLayout *>(layout());
    row->insertWidget(row->indexOf(m_help), widget);
}

} // namespace psc
