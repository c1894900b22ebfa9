// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/reportdocument.h"

#include "models/metricformat.h"
#include "models/shortlist.h"
#include "models/trialset.h"
#include "models/trialsummary.h"
#include "plot/parallelcoordinates.h"
#include "plot/paretoplotwidget.h"

#include "psc/core/atomicfile.h"
#include "psc/core/error.h"
#include "psc/core/siformat.h"
#include "psc/study/lineage.h"
#include "psc/targets/targetlibrary.h"

#include <QBuffer>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QTemporaryDir>
#include <QTextDocument>
#include <QUrl>

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

const QString kStyle = QStringLiteral(
    "body { font-family: sans-serif; font-size: 10pt; color: #202020; }"
    "h1 { font-size: 18pt; margin-bottom: 2px; } h2 { font-size: 13pt; margin-top: 18px; border-bottom: 1px solid "
    "#999; }"
    "table.grid { border-collapse: collapse; margin: 4px 0; } table.grid td, table.grid th { border: 1px solid #bbb; "
    "padding: 2px 6px; } table.grid th { background: #eeeeee; text-align: left; } td.num { text-align: right; }"
    ".card { border: 1px solid #999; margin: 6px 0; padding: 4px; } .fit { color: #2a8a2a; } .nofit { color: #c03030; }"
    ".muted { color: #707070; }");

QString esc(const std::string &text)
{
    return QString::fromStdString(text).toHtmlEscaped();
}

QString row(const QString &label, const QString &value)
{
    return QStringLiteral("<tr><th>%1</th><td>%2</td></tr>").arg(label.toHtmlEscaped(), value);
}

QString valueOf(const Trial &trial, const MetricRef &metric)
{
    const auto v = metricValue(trial, metric);
    return v ? formatMetricValue(metric, *v).toHtmlEscaped() : QStringLiteral("–");
}

QString durationText(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("–");
    const qint64 s = qint64(std::llround(seconds));
    if (s < 120)
        return QStringLiteral("%1 s").arg(s);
    if (s < 7200)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

/** "int4": a compressed trial's variant name (its settings if unnamed); "search" for the others. */
QString originText(const Trial &trial)
{
    const std::optional<Lineage> lineage = decodeLineage(trial);
    if (!lineage || !trial.parentId)
        return QStringLiteral("search");
    return QString::fromStdString(lineage->variantName.empty() ? lineage->variantSummary : lineage->variantName);
}

QString parameterText(const TargetParameter &p)
{
    if (!p.value.number)
        return QString::fromStdString(p.value.text);
    if (p.unit == "B" || p.unit == "Hz" || p.unit == "s" || p.unit == "J" || p.unit == "W")
        return QString::fromStdString(formatQuantity(*p.value.number, p.unit));
    return QStringLiteral("%1 %2").arg(QString::number(*p.value.number, 'g', 6), QString::fromStdString(p.unit));
}

} // namespace

ReportDocument::ReportDocument(ReportInput input) : m_in(std::move(input))
{
    const auto [dx, dy] = ParetoPlotWidget::defaultAxes(m_in.spec);
    m_x = m_in.x.name.empty() ? dx : m_in.x;
    m_y = m_in.y.name.empty() ? dy : m_in.y;
    drawImages();
}

QStringList ReportDocument::formats()
{
    return {QStringLiteral("html"), QStringLiteral("htm"), QStringLiteral("pdf")};
}

void ReportDocument::drawImages()
{
    // The front as `paretoscope plot` draws it (its own PNG writer, at twice the pixels).
    QTemporaryDir dir;
    ParetoPlotWidget plot;
    plot.resize(900, 560);
    plot.setStudy(m_in.spec, m_in.trials);
    plot.setAxes(m_x, m_y);
    const QString front = dir.filePath(QStringLiteral("front.png"));
    QString error;
    if (dir.isValid() && plot.save(front, QSize(900, 560), &error))
        m_images[QStringLiteral("front.png")] = QImage(front);
    // Every objective and constrained metric at once.
    TrialSet set;
    ParallelCoordinates parallel(&set);
    set.reset(m_in.spec, m_in.trials);
    m_ranks = set.ranks();                          // the study's front, for the tables and cards
    parallel.setAttribute(Qt::WA_DontShowOnScreen); // it draws its lines only while shown
    parallel.show();
    parallel.setFixedSize(1000, 420);
    QImage lines(QSize(1000, 420) * 2, QImage::Format_ARGB32_Premultiplied);
    lines.setDevicePixelRatio(2.0);
    lines.fill(Qt::white);
    parallel.render(&lines);
    m_images[QStringLiteral("parallel.png")] = lines;
}

QString ReportDocument::image(const QString &name, bool embedded, int width) const
{
    const auto it = m_images.find(name);
    if (it == m_images.end() || it->second.isNull())
        return QStringLiteral("<p class='muted'>(%1 could not be drawn)</p>").arg(name);
    QString src = QStringLiteral("image://") + name;
    if (embedded) {
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        it->second.save(&buffer, "PNG");
        src = QStringLiteral("data:image/png;base64,") + QString::fromLatin1(png.toBase64());
    }
    // The PDF's page holds about 500 layout pixels of width; a browser window more.
    return QStringLiteral("<p><img src=\"%1\" width=\"%2\" style=\"max-width: 100%\" alt=\"%3\"></p>")
        .arg(src)
        .arg(width)
        .arg(name);
}

QString ReportDocument::summaryHtml() const
{
    const StudySpec &spec = m_in.spec;
    auto meta = [this](const char *key) {
        const auto it = m_in.meta.find(key);
        return it == m_in.meta.end() ? QString() : QString::fromStdString(it->second);
    };
    QStringList objectives;
    for (const Objective &o : spec.objectives)
        objectives << QStringLiteral("%1 %2 (%3)")
                          .arg(o.direction == Direction::Maximize ? QStringLiteral("maximise")
                                                                  : QStringLiteral("minimise"),
                               metricLabel(o.metric), QString::fromStdString(o.metric.toString()))
                          .toHtmlEscaped();
    QStringList constraints;
    for (const Constraint &c : spec.constraints)
        constraints << esc(c.toString());
    std::map<std::string, int> states;
    for (const Trial &t : m_in.trials)
        ++states[std::string(toString(t.state))];
    QStringList counts;
    for (const auto &[state, n] : states)
        counts << QStringLiteral("%1 %2").arg(n).arg(QString::fromStdString(state));
    QStringList budget;
    if (spec.budget.trials)
        budget << QStringLiteral("%1 trials").arg(*spec.budget.trials);
    if (spec.budget.wallTimeSeconds)
        budget << durationText(*spec.budget.wallTimeSeconds);
    QString html = QStringLiteral("<h2>Study</h2><table class='grid'>");
    html += row(QStringLiteral("File"), QDir::toNativeSeparators(m_in.studyFile).toHtmlEscaped());
    if (!spec.description.empty())
        html += row(QStringLiteral("Description"), esc(spec.description));
    html += row(QStringLiteral("Task"), esc(spec.task.dataset));
    html += row(QStringLiteral("Search space"), esc(spec.searchSpace.name));
    html += row(
        QStringLiteral("Strategy"),
        QStringLiteral("%1 <span class='muted'>%2</span>").arg(esc(spec.strategy.id), esc(spec.strategy.optionsJson)));
    html += row(QStringLiteral("Objectives"), objectives.join(QStringLiteral("<br>")));
    html += row(QStringLiteral("Constraints"),
                constraints.isEmpty() ? QStringLiteral("none") : constraints.join(QStringLiteral("<br>")));
    html +=
        row(QStringLiteral("Budget"), budget.isEmpty() ? QStringLiteral("none") : budget.join(QStringLiteral(", ")));
    html += row(QStringLiteral("Trials"),
                QStringLiteral("%1: %2").arg(m_in.trials.size()).arg(counts.join(QStringLiteral(", "))));
    if (const QString elapsed = meta("elapsed_seconds"); !elapsed.isEmpty())
        html += row(QStringLiteral("Time"), durationText(elapsed.toDouble()) + QStringLiteral(" of running"));
    if (const QString created = meta("created_at"); !created.isEmpty())
        html += row(QStringLiteral("Created"),
                    QStringLiteral("%1 with %2").arg(created.toHtmlEscaped(), meta("created_with").toHtmlEscaped()));
    return html + QStringLiteral("</table>");
}

QString ReportDocument::frontHtml(bool embedded) const
{
    QString html = QStringLiteral("<h2>Pareto front</h2>");
    html += QStringLiteral("<p>%1 against %2; the front of all %3 objectives is marked.</p>")
                .arg(metricLabel(m_y).toHtmlEscaped(), metricLabel(m_x).toHtmlEscaped())
                .arg(m_in.spec.objectives.size());
    html += image(QStringLiteral("front.png"), embedded, embedded ? 760 : 500);
    html += QStringLiteral("<table class='grid' width='100%'><tr><th>Trial</th><th>Origin</th>");
    for (const Objective &o : m_in.spec.objectives)
        html += QStringLiteral("<th>%1</th>").arg(metricLabel(o.metric).toHtmlEscaped());
    html += QStringLiteral("</tr>");
    for (std::size_t i = 0; i < m_in.trials.size(); ++i) {
        if (m_ranks[i] != 0)
            continue;
        const Trial &t = m_in.trials[i];
        html +=
            QStringLiteral("<tr><td class='num'>%1</td><td>%2</td>").arg(t.number).arg(originText(t).toHtmlEscaped());
        for (const Objective &o : m_in.spec.objectives)
            html += QStringLiteral("<td class='num'>%1</td>").arg(valueOf(t, o.metric));
        html += QStringLiteral("</tr>");
    }
    html += QStringLiteral("</table><h2>All objectives at once</h2>");
    html += QStringLiteral("<p>Parallel coordinates: one line per complete trial, the front highlighted.</p>");
    return html + image(QStringLiteral("parallel.png"), embedded, embedded ? 860 : 500);
}

QString ReportDocument::cardsHtml() const
{
    Shortlist shortlist;
    if (const auto it = m_in.meta.find("gui_shortlist"); it != m_in.meta.end())
        shortlist.restore(QString::fromStdString(it->second));
    std::vector<std::size_t> chosen;
    for (qint64 number : shortlist.starred())
        for (std::size_t i = 0; i < m_in.trials.size(); ++i)
            if (m_in.trials[i].number == number)
                chosen.push_back(i);
    const bool fromShortlist = !chosen.empty();
    if (!fromShortlist)
        for (std::size_t i = 0; i < m_in.trials.size() && chosen.size() < 12; ++i)
            if (m_ranks[i] == 0)
                chosen.push_back(i);
    QString html = QStringLiteral("<h2>Candidates</h2><p>%1</p>")
                       .arg(fromShortlist ? QStringLiteral("The shortlist kept in the study, in the order it was made.")
                                          : QStringLiteral("No shortlist is kept in the study: the trials on the "
                                                           "Pareto front (at most 12)."));
    const QStringList targets = studyTargets(m_in.spec);
    MetricRef accuracy{"accuracy", {}};
    for (const Objective &o : m_in.spec.objectives)
        if (o.metric.target.empty() && o.metric.name.find("accuracy") != std::string::npos) {
            accuracy = o.metric;
            break;
        }
    for (std::size_t i : chosen) {
        const Trial &t = m_in.trials[i];
        const QString variant = compressionVariantSummary(t);
        html += QStringLiteral("<table class='card' width='100%'><tr><td>");
        html += QStringLiteral("<b>Trial %1</b>%2 &nbsp; <span class='muted'>%3</span>")
                    .arg(t.number)
                    .arg(m_ranks[i] == 0 ? QStringLiteral(" — on the front") : QString())
                    .arg((variant.isEmpty() ? architectureSummary(t) : QStringLiteral("compressed: ") + variant)
                             .toHtmlEscaped());
        if (const QString note = shortlist.note(t.number); !note.isEmpty())
            html += QStringLiteral("<br><i>“%1”</i>").arg(note.toHtmlEscaped());
        html += QStringLiteral("<br>%1: <b>%2</b> &nbsp; Deployed weights: <b>%3</b>")
                    .arg(metricLabel(accuracy).toHtmlEscaped(), valueOf(t, accuracy),
                         valueOf(t, MetricRef{"weight_bytes", {}}));
        if (!targets.isEmpty()) {
            html += QStringLiteral("<table class='grid'><tr><th>Target</th><th>Latency</th><th>Energy</th><th>RAM</th>"
                                   "<th>Flash</th><th>Fit</th></tr>");
            for (const QString &target : targets) {
                const std::string id = target.toStdString();
                const auto feasible = metricValue(t, MetricRef{"feasible", id});
                html += QStringLiteral(
                            "<tr><td>%1</td><td class='num'>%2</td><td class='num'>%3</td><td class='num'>%4</td>"
                            "<td class='num'>%5</td><td>%6</td></tr>")
                            .arg(target.toHtmlEscaped(), valueOf(t, MetricRef{"latency_s", id}),
                                 valueOf(t, MetricRef{"energy_j", id}), valueOf(t, MetricRef{"sram_bytes", id}),
                                 valueOf(t, MetricRef{"flash_bytes", id}),
                                 !feasible         ? QStringLiteral("–")
                                 : *feasible > 0.5 ? QStringLiteral("<span class='fit'>✔ fits</span>")
                                                   : QStringLiteral("<span class='nofit'>✘ does not fit</span>"));
            }
            html += QStringLiteral("</table>");
        }
        html += QStringLiteral("</td></tr></table>");
    }
    return html;
}

QString ReportDocument::compressionHtml() const
{
    QString html = QStringLiteral("<h2>Compression paths</h2>");
    MetricRef accuracy{"deployed_accuracy", {}};
    const MetricRef bytes{"weight_bytes", {}};
    bool any = false;
    for (const Trial &parent : m_in.trials) {
        std::vector<const Trial *> children;
        for (const Trial &t : m_in.trials)
            if (t.parentId && *t.parentId == parent.id)
                children.push_back(&t);
        if (children.empty())
            continue;
        any = true;
        html += QStringLiteral("<p><b>From trial %1</b> (%2, %3 %4)</p><table class='grid' "
                               "width='100%'><tr><th>Trial</th><th>Variant</th>"
                               "<th>%5</th><th>Change</th><th>Weights</th><th>Of the parent's</th><th>State</th></tr>")
                    .arg(parent.number)
                    .arg(valueOf(parent, accuracy), valueOf(parent, bytes), QStringLiteral("deployed weights"),
                         metricLabel(accuracy).toHtmlEscaped());
        const auto pa = metricValue(parent, accuracy);
        const auto pb = metricValue(parent, bytes);
        for (const Trial *c : children) {
            const auto ca = metricValue(*c, accuracy);
            const auto cb = metricValue(*c, bytes);
            html +=
                QStringLiteral("<tr><td class='num'>%1</td><td>%2</td><td class='num'>%3</td><td class='num'>%4</td>"
                               "<td class='num'>%5</td><td class='num'>%6</td><td>%7</td></tr>")
                    .arg(c->number)
                    .arg(originText(*c).toHtmlEscaped(), valueOf(*c, accuracy),
                         pa && ca ? QStringLiteral("%1%2 points")
                                        .arg(*ca >= *pa ? QStringLiteral("+") : QString())
                                        .arg((*ca - *pa) * 100.0, 0, 'f', 2)
                                  : QStringLiteral("–"),
                         valueOf(*c, bytes),
                         pb && cb && *pb > 0 ? QStringLiteral("%1 %").arg(*cb / *pb * 100.0, 0, 'f', 1)
                                             : QStringLiteral("–"),
                         trialStateText(*c).toHtmlEscaped());
        }
        html += QStringLiteral("</table>");
    }
    if (!any)
        html += QStringLiteral("<p class='muted'>No trial of this study was compressed.</p>");
    return html;
}

QString ReportDocument::provenanceHtml() const
{
    QString html = QStringLiteral("<h2>Provenance</h2><table class='grid'>");
    html += row(QStringLiteral("Report written by"),
                QStringLiteral("Paretoscope %1 on %2")
                    .arg(m_in.toolVersion.toHtmlEscaped(), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)));
    if (const auto it = m_in.meta.find("created_with"); it != m_in.meta.end())
        html += row(QStringLiteral("Study created with"), esc(it->second));
    html += row(QStringLiteral("Seeds"),
                QStringLiteral("study %1; analog device draws %2").arg(m_in.spec.seed).arg(m_in.spec.analog.seed));
    html += QStringLiteral("</table>");
    // The cost models the stored costs came from (study_meta cost_models), beside this build's.
    html += QStringLiteral("<p><b>Cost models</b> of the stored costs, and the target files of this installation:</p>"
                           "<table class='grid'><tr><th>Target</th><th>Model</th><th>Stored version</th>"
                           "<th>This build</th><th>Target file</th></tr>");
    QJsonArray models;
    if (const auto it = m_in.meta.find("cost_models"); it != m_in.meta.end())
        models = QJsonDocument::fromJson(QByteArray::fromStdString(it->second)).array();
    QStringList listed;
    for (const QJsonValue &v : models) {
        const QJsonObject m = v.toObject();
        const QString target = m.value(QStringLiteral("target")).toString();
        const TargetDefinition *d = m_in.targets ? m_in.targets->find(target.toStdString()) : nullptr;
        listed << target;
        html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>")
                    .arg(target.toHtmlEscaped(), m.value(QStringLiteral("model")).toString().toHtmlEscaped(),
                         m.value(QStringLiteral("version")).toString().toHtmlEscaped(),
                         d ? esc(d->modelVersion) : QStringLiteral("–"),
                         d ? QDir::toNativeSeparators(QString::fromStdString(d->file.string())).toHtmlEscaped()
                           : QStringLiteral("not installed"));
    }
    html += QStringLiteral("</table>");
    // Where every number of the study's targets comes from.
    for (const QString &target : studyTargets(m_in.spec)) {
        const TargetDefinition *d = m_in.targets ? m_in.targets->find(target.toStdString()) : nullptr;
        if (!d)
            continue;
        html += QStringLiteral("<p><b>%1</b> — %2 (%3)</p><table class='grid'><tr><th>Parameter</th><th>Value</th>"
                               "<th>Source</th></tr>")
                    .arg(target.toHtmlEscaped(), esc(d->name), esc(d->model));
        for (const TargetParameter &p : d->parameters)
            html += QStringLiteral("<tr><td>%1</td><td class='num'>%2</td><td>%3</td></tr>")
                        .arg(esc(p.name), parameterText(p).toHtmlEscaped(), esc(p.source));
        html += QStringLiteral("</table>");
    }
    return html;
}

QString ReportDocument::html(bool embedded) const
{
    const QString title = QString::fromStdString(m_in.spec.name.empty() ? std::string("study") : m_in.spec.name);
    QString html = QStringLiteral("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%1 — Paretoscope report"
                                  "</title><style>%2</style></head><body>")
                       .arg(title.toHtmlEscaped(), kStyle);
    html += QStringLiteral("<h1>%1</h1><p class='muted'>Paretoscope report</p>").arg(title.toHtmlEscaped());
    html += summaryHtml();
    html += frontHtml(embedded);
    html += cardsHtml();
    html += compressionHtml();
    html += provenanceHtml();
    return html + QStringLiteral("</body></html>\n");
}

QByteArray ReportDocument::pdf() const
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QPdfWriter writer(&buffer);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
    writer.setResolution(150);
    writer.setTitle(QString::fromStdString(m_in.spec.name) + QStringLiteral(" — Paretoscope report"));
    writer.setCreator(QStringLiteral("Paretoscope %1").arg(m_in.toolVersion));
    QTextDocument document;
    for (const auto &[name, picture] : m_images)
        document.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("image://") + name), picture);
    document.setDefaultStyleSheet(kStyle);
    document.setHtml(html(false));
    document.print(&writer);
    buffer.close();
    return bytes;
}

void ReportDocument::write(const QString &path, bool overwrite) const
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (!formats().contains(suffix))
        throw InputError(path.toStdString() + ": unknown report format \"" + suffix.toStdString() +
                         "\" (expected .html or .pdf)");
    const QByteArray bytes = suffix == QLatin1String("pdf") ? pdf() : html(true).toUtf8();
    try {
        writeFilesAtomically({{std::filesystem::path(path.toStdString()), bytes.toStdString()}}, overwrite);
    } catch (const RuntimeError &e) {
        // A folder the user may not write to is a bad --out, not a failure of the program (exit 2).
        throw InputError(std::string("cannot write the report: ") + e.what());
    }
}

} // namespace psc
