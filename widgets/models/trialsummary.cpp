// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/trialsummary.h"

#include "models/metricformat.h"

#include "psc/net/networkparser.h"
#include "psc/study/lineage.h"
#include "psc/study/studyfront.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <algorithm>

namespace psc {
namespace {

QString window(const LayerSpec &l)
{
    QString text = QStringLiteral("%1×%2").arg(l.kernelH).arg(l.kernelW);
    if (l.strideH != 1 || l.strideW != 1)
        text += QStringLiteral("/%1").arg(l.strideH);
    return text;
}

QString layerSketch(const LayerSpec &l)
{
    switch (l.type) {
    case LayerType::Conv2d:
        return QStringLiteral("conv%1·%2").arg(window(l)).arg(l.outChannels);
    case LayerType::DepthwiseConv2d:
        return QStringLiteral("dw%1").arg(window(l));
    case LayerType::Dense:
        return QStringLiteral("dense·%1").arg(l.outChannels);
    case LayerType::LowRank:
        return QStringLiteral("lowrank·%1/r%2").arg(l.outChannels).arg(l.rank);
    case LayerType::Kronecker:
        return QStringLiteral("kron·%1").arg(l.outChannels);
    case LayerType::AvgPool2d:
        return QStringLiteral("avgpool%1").arg(window(l));
    case LayerType::MaxPool2d:
        return QStringLiteral("maxpool%1").arg(window(l));
    case LayerType::GlobalAvgPool:
        return QStringLiteral("gap");
    case LayerType::Add:
        return QStringLiteral("add");
    default:
        return {}; // flatten, normalisation and activations say little about the shape of the network
    }
}

/** Appends "key = value" for every leaf of `value`, nested keys joined with dots. */
void flatten(const QString &key, const QJsonValue &value, QStringList &parts)
{
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            flatten(key.isEmpty() ? it.key() : key + QLatin1Char('.') + it.key(), it.value(), parts);
        return;
    }
    const QString text = value.isBool()     ? (value.toBool() ? QStringLiteral("yes") : QStringLiteral("no"))
                         : value.isDouble() ? QString::number(value.toDouble())
                         : value.isArray()
                             ? QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact))
                             : value.toVariant().toString();
    parts << (key.isEmpty() ? text : key + QStringLiteral(" = ") + text);
}

QJsonObject parameters(const Trial &trial)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(trial.parametersJson)).object();
}

} // namespace

QString trialStateText(const Trial &trial)
{
    const std::string_view state = toString(trial.state);
    QString text = QString::fromUtf8(state.data(), qsizetype(state.size()));
    if (trial.cachedFrom)
        text += QStringLiteral(" (cached)");
    if (isImported(trial))
        text += QStringLiteral(" (imported)");
    return text;
}

QString architectureSummary(const Trial &trial)
{
    if (trial.architectureJson.empty())
        return {};
    NetworkDescription net;
    try {
        net = parseNetworkJson(trial.architectureJson, "trial");
    } catch (const std::exception &) {
        return {};
    }
    QStringList parts;
    for (const LayerSpec &l : net.layers)
        if (QString s = layerSketch(l); !s.isEmpty())
            parts << s;
    constexpr int kMaxParts = 14;
    if (parts.size() > kMaxParts)
        parts =
            parts.mid(0, kMaxParts / 2) + QStringList{QStringLiteral("…")} + parts.mid(parts.size() - kMaxParts / 2);
    return parts.join(QStringLiteral(" → ")) + QStringLiteral(" (%1 layers)").arg(net.layers.size());
}

QString parameterSummary(const Trial &trial)
{
    QStringList parts;
    flatten(QString(), parameters(trial), parts);
    return parts.join(QStringLiteral(", "));
}

QString compressionVariantSummary(const Trial &trial)
{
    const std::optional<Lineage> lineage = decodeLineage(trial);
    return lineage ? QString::fromStdString(lineage->variantText()) : QString();
}

QString lineageToolTip(const Trial &trial, const std::vector<Trial> &trials)
{
    QString html;
    if (const std::optional<Lineage> l = decodeLineage(trial); l && l->kind == Lineage::Kind::Imported)
        html += QStringLiteral("<p>Imported from <b>%1</b> (%2): a model made elsewhere, not counted in the study's "
                               "budget</p>")
                    .arg(QString::fromStdString(l->importedFile).toHtmlEscaped(),
                         QString::fromStdString(l->importedFormat).toUpper());
    if (trial.parentId) {
        const auto parent =
            std::find_if(trials.begin(), trials.end(), [&trial](const Trial &t) { return t.id == *trial.parentId; });
        const QString variant = compressionVariantSummary(trial);
        html += QStringLiteral("<p>Compressed from <b>trial %1</b>%2</p>")
                    .arg(parent != trials.end() ? QString::number(parent->number)
                                                : QStringLiteral("(id %1)").arg(*trial.parentId),
                         variant.isEmpty() ? QString() : QStringLiteral(": ") + variant.toHtmlEscaped());
    }
    const auto children = std::count_if(trials.begin(), trials.end(),
                                        [&trial](const Trial &c) { return c.parentId && *c.parentId == trial.id; });
    if (children > 0)
        html += QStringLiteral("<p>%1 compressed variant%2 made from it.</p>")
                    .arg(children)
                    .arg(children == 1 ? QString() : QStringLiteral("s"));
    return html;
}

namespace {

/** One table row: the metric's label (with ↑/↓ when an objective), `separator`, its formatted value. */
QString metricRowHtml(const StudySpec &spec, const MetricRef &ref, double value, const QString &separator)
{
    QString mark;
    if (isObjective(spec, ref))
        mark = metricDirection(spec, ref) == Direction::Maximize ? QStringLiteral(" ↑") : QStringLiteral(" ↓");
    return QStringLiteral("<tr><td>%1%2%3</td><td align=right>%4</td></tr>")
        .arg(metricLabel(ref).toHtmlEscaped(), mark, separator, formatMetricValue(ref, value).toHtmlEscaped());
}

} // namespace

QString trialDetailsHtml(const Trial &trial, const StudySpec &spec, bool onStudyFront, const std::vector<Trial> &trials)
{
    QString html =
        QStringLiteral("<h3>Trial %1 — %2</h3>").arg(trial.number).arg(trialStateText(trial).toHtmlEscaped());
    if (onStudyFront)
        html += QStringLiteral("<p><b>On the study's Pareto front.</b></p>");
    if (!trial.error.empty()) {
        const QString why = trial.state == TrialState::Infeasible ? QStringLiteral("Infeasible")
                            : trial.state == TrialState::Pruned   ? QStringLiteral("Stopped early")
                                                                  : QStringLiteral("Reason");
        html += QStringLiteral("<p><b>%1:</b> %2</p>").arg(why, QString::fromStdString(trial.error).toHtmlEscaped());
    }
    html += lineageToolTip(trial, trials);
    std::vector<MetricRef> metrics = studyMetrics(spec);
    const std::size_t studyCount = metrics.size();
    for (const Metric &m : trial.metrics) {
        const MetricRef ref{m.name, m.target};
        if (std::find(metrics.begin(), metrics.end(), ref) == metrics.end())
            metrics.push_back(ref);
    }
    html += QStringLiteral("<table cellspacing=2>");
    for (std::size_t i = 0; i < metrics.size(); ++i) {
        const MetricRef &ref = metrics[i];
        const auto value = metricValue(trial, ref);
        if (!value)
            continue;
        if (i == studyCount && i > 0)
            html += QStringLiteral("<tr><td colspan=2><i>Other metrics</i></td></tr>");
        html += metricRowHtml(spec, ref, *value, QString());
    }
    html += QStringLiteral("</table>");
    if (const QString arch = architectureSummary(trial); !arch.isEmpty())
        html += QStringLiteral("<p><b>Architecture:</b> %1</p>").arg(arch.toHtmlEscaped());
    if (const QString params = parameterSummary(trial); !params.isEmpty())
        html += QStringLiteral("<p><b>Choices:</b> %1</p>").arg(params.toHtmlEscaped());
    if (!trial.proposedBy.empty()) {
        // "mobo:model" -> "mobo (model)"; the filter takes either part: strategy = mobo, strategy = mobo:model.
        const QString by = QString::fromStdString(trial.proposedBy);
        const qsizetype colon = by.indexOf(QLatin1Char(':'));
        html += QStringLiteral("<p><b>Proposed by:</b> %1</p>")
                    .arg((colon < 0 ? by : QStringLiteral("%1 (%2)").arg(by.left(colon), by.mid(colon + 1)))
                             .toHtmlEscaped());
    }
    return html;
}

QString trialToolTip(const Trial &trial, const StudySpec &spec, bool onStudyFront)
{
    // A few lines a hover can show on any screen: the study's own metrics, formatted; everything else (every
    // target's metrics, the search choices) is in the inspector.
    QString html = QStringLiteral("<b>Trial %1</b> — %2").arg(trial.number).arg(trialStateText(trial).toHtmlEscaped());
    if (onStudyFront)
        html += QStringLiteral(" — <b>on the study's Pareto front</b>");
    if (!trial.error.empty()) // why it failed, is infeasible or was stopped: what a user hovering it wants to know
        html += QStringLiteral("<br><i>Reason:</i> %1").arg(QString::fromStdString(trial.error).toHtmlEscaped());
    html += QStringLiteral("<table>");
    // The spec's objectives, then the metrics its constraints limit.
    std::vector<MetricRef> metrics;
    for (const Objective &o : spec.objectives)
        metrics.push_back(o.metric);
    for (const Constraint &c : spec.constraints)
        if (std::find(metrics.begin(), metrics.end(), c.metric) == metrics.end())
            metrics.push_back(c.metric);
    int shown = 0;
    for (const MetricRef &ref : metrics) {
        const auto value = metricValue(trial, ref);
        if (!value)
            continue;
        html += metricRowHtml(spec, ref, *value, QStringLiteral(":"));
        ++shown;
    }
    html += QStringLiteral("</table>");
    if (const QString arch = architectureSummary(trial); !arch.isEmpty())
        html += QStringLiteral("<p><i>Architecture:</i> %1</p>").arg(arch.toHtmlEscaped());
    if (const auto more = std::ptrdiff_t(trial.metrics.size()) - shown; more > 0)
        html += QStringLiteral("<p><i>%1 more metrics and the search choices: the inspector's Summary tab.</i></p>")
                    .arg(more);
    return html;
}

} // namespace psc
