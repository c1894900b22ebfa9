// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/metrics.h"

#include <QList>
#include <QObject>
#include <QString>

#include <vector>

namespace psc {

/** One prepared view of a presentation. */
struct Slide
{
    enum class Kind
    {
        Front,           ///< every trial on `x` against `y`, the front marked
        Card,            ///< trials[0]'s candidate card, large
        Compare,         ///< trials (2-4) side by side
        CompressionPath, ///< trials[0] and every trial compressed from it, with arrows, on `x` against `y`
    };
    Kind kind = Kind::Front;
    QString title;
    QString note; ///< the one-line annotation under the view
    MetricRef x, y;
    QList<qint64> trials; ///< trial numbers (Trial::number)
    bool operator==(const Slide &) const = default;
};

/** "front", "card", "compare", "compression" (the JSON names); and back (nullopt-like: false if unknown). */
QString slideKindName(Slide::Kind kind);
bool slideKindFromName(const QString &name, Slide::Kind *kind);

/**
 * The views a user prepared to present a study (*View ▸ Presentation*), in order, and the theme to present them in.
 * Kept with the study as study_meta "gui_presentation" (docs/database.md):
 * `{"theme": "dark", "slides": [{"kind": "front", "title": "...", "note": "...", "x": "weight_bytes",
 * "y": "accuracy"}, {"kind": "card", "trials": [12], ...}, ...]}`. GUI thread only.
 */
class Presentation : public QObject
{
    Q_OBJECT
public:
    explicit Presentation(QObject *parent = nullptr);

    const std::vector<Slide> &slides() const { return m_slides; }
    int size() const { return int(m_slides.size()); }
    void append(Slide slide);
    void remove(int index);
    /** Moves slide `index` by `delta` places (clamped). */
    void move(int index, int delta);
    void setTitle(int index, const QString &title);
    void setNote(int index, const QString &note);
    bool isDark() const { return m_dark; }
    void setDark(bool dark);
    void clear();

    QString toJson() const;
    /**
     * Replaces everything by `json` and emits restored(); slides this version cannot read (an unknown kind, a metric
     * that does not parse) are skipped. False if `json` is not a JSON object (then nothing changes).
     */
    bool restore(const QString &json);

Q_SIGNALS:
    /** Any edit (append, remove, move, title, note, theme); not clear() or restore(). */
    void changed();
    void restored();

private:
    std::vector<Slide> m_slides;
    bool m_dark = true;
};

} // namespace psc
