// SPDX-License-Identifier: GPL-3.0-or-later
#include "plot/axischooser.h"

#include "models/metricformat.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>
#include <QToolTip>

namespace psc {
namespace {

QString refText(const MetricRef &ref)
{
    return QString::fromStdString(ref.toString());
}

MetricRef refFromText(const QString &text)
{
    return parseMetricRef(text.toStdString()).value_or(MetricRef{});
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

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("X:"), this));
    layout->addWidget(m_xMenu, 1);
    layout->addWidget(m_xLog);
    layout->addSpacing(8);
    layout->addWidget(new QLabel(tr("Y:"), this));
    layout->addWidget(m_yMenu, 1);
    layout->addWidget(m_yLog);
    layout->addWidget(m_help);

    connect(m_xMenu, &QComboBox::currentIndexChanged, this, &AxisChooser::onMenuChanged);
    connect(m_yMenu, &QComboBox::currentIndexChanged, this, &AxisChooser::onMenuChanged);
    connect(m_xLog, &QCheckBox::toggled, this, &AxisChooser::logScaleChanged);
    connect(m_yLog, &QCheckBox::toggled, this, &AxisChooser::logScaleChanged);
    setMetrics({}, {});
}

void AxisChooser::setMetrics(const StudySpec &spec, const std::vector<MetricRef> &metrics)
{
    m_metrics = metrics;
    m_updating = true;
    for (QComboBox *menu : {m_xMenu, m_yMenu}) {
        menu->clear();
        for (const MetricRef &ref : m_metrics) {
            QString tip = QStringLiteral("<b>%1</b> (%2)").arg(metricLabel(ref).toHtmlEscaped(), refText(ref));
            if (const QString d = metricDescription(ref); !d.isEmpty())
                tip += QStringLiteral("<br>") + d.toHtmlEscaped();
            QString text = metricLabel(ref);
            if (isObjective(spec, ref)) {
                const bool max = metricDirection(spec, ref) == Direction::Maximize;
                text += max ? QStringLiteral(" ↑") : QStringLiteral(" ↓");
                tip += QStringLiteral("<br>") + (max ? tr("Objective, maximised.") : tr("Objective, minimised."));
            }
            menu->addItem(text, refText(ref));
            menu->setItemData(menu->count() - 1, tip, Qt::ToolTipRole);
        }
        if (!spec.objectives.empty() && int(spec.objectives.size()) < menu->count())
            menu->insertSeparator(int(spec.objectives.size()));
        menu->setEnabled(!m_metrics.empty());
    }
    for (QCheckBox *box : {m_xLog, m_yLog}) {
        const QSignalBlocker block(box);
        box->setChecked(false);
        box->setEnabled(false);
    }
    m_updating = false;
}

MetricRef AxisChooser::x() const
{
    return refFromText(m_xMenu->currentData().toString());
}

MetricRef AxisChooser::y() const
{
    return refFromText(m_yMenu->currentData().toString());
}

bool AxisChooser::setAxes(const MetricRef &x, const MetricRef &y)
{
    const int xi = m_xMenu->findData(refText(x));
    const int yi = m_yMenu->findData(refText(y));
    if (xi < 0 || yi < 0)
        return false;
    m_updating = true;
    m_xMenu->setCurrentIndex(xi);
    m_yMenu->setCurrentIndex(yi);
    m_updating = false;
    onMenuChanged();
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

} // namespace psc
