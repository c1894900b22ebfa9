// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/metrics.h"
#include "psc/study/studyspec.h"
#include "psc/study/trial.h"

#include <QByteArray>
#include <QImage>
#include <QString>

#include <map>
#include <string>
#include <vector>

namespace psc {

class TargetLibrary;

/** What a report is made of: one study as stored, and how to draw its front. */
struct ReportInput
{
    StudySpec spec;
    std::vector<Trial> trials;
    QString studyFile;                       ///< as the user named it; shown in the summary
    std::map<std::string, std::string> meta; ///< study_meta values: created_at, created_with, elapsed_seconds,
                                             ///< cost_models, gui_shortlist (docs/database.md)
    const TargetLibrary *targets = nullptr;  ///< for the target files and their sources (may be null)
    MetricRef x, y;                          ///< the front's axes; an empty name takes ParetoPlotWidget's default
    QString toolVersion;                     ///< of the Paretoscope writing the report
};

/**
 * A one-document report of a study, for people who will not open Paretoscope: the summary (task, search space,
 * strategy, objectives, constraints, budget, trials by state, time), the Pareto front on the chosen axes and in
 * parallel coordinates (drawn by the GUI's own widgets), the candidates as cards (the shortlist kept in the study,
 * else the front; accuracy, size and per-target latency, energy, RAM, flash and fit, with notes), the compression
 * paths (each compressed child against its parent) and the provenance (tool versions, the cost models and versions
 * the stored costs came from, the target files with the source of every parameter, the seeds).
 *
 * HTML is self-contained: images are embedded as data: URIs, styles inline, nothing is fetched. PDF is the same
 * document laid out by QTextDocument on A4 pages and printed through QPdfWriter. GUI thread (it draws widgets).
 */
class ReportDocument
{
public:
    explicit ReportDocument(ReportInput input);

    /** The report as HTML; `embedded`: images as data: URIs (a file), else by name (image://front.png). */
    QString html(bool embedded = true) const;
    /** The report as PDF bytes. */
    QByteArray pdf() const;
    /** The images the report shows, by name ("front.png", "parallel.png"). */
    const std::map<QString, QImage> &images() const { return m_images; }

    /** "html", "htm", "pdf": the extensions write() understands. */
    static QStringList formats();
    /**
     * Writes the report to `path` as HTML or PDF by its extension, atomically (writeFilesAtomically(): no half-written
     * file on failure or kill). InputError naming the path for an unknown extension, a missing folder or an existing
     * file without `overwrite`, and with the OS's reason for a failed write (an unwritable folder, a full disk).
     */
    void write(const QString &path, bool overwrite) const;

private:
    void drawImages();
    QString summaryHtml() const;
    QString frontHtml(bool embedded) const;
    QString cardsHtml() const;
    QString compressionHtml() const;
    QString provenanceHtml() const;
    QString image(const QString &name, bool embedded, int width) const;

    ReportInput m_in;
    std::vector<int> m_ranks;
    std::map<QString, QImage> m_images;
    MetricRef m_x, m_y;
};

} // namespace psc
