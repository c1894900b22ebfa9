// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <map>

namespace psc {

/**
 * The trials a user has starred (the shortlist) and the notes written on any trial, of one open study. Trials
 * are named by their number (Trial::number, the "#" the table shows), which stays the same when a study is
 * copied; the shortlist keeps the order in which trials were starred.
 *
 * The whole is kept with the study as one study_meta value (toJson(), key "gui_shortlist", docs/database.md):
 * `{"starred": [12, 3], "notes": {"12": "smallest that fits the M4"}}`. GUI thread only.
 */
class Shortlist : public QObject
{
    Q_OBJECT
public:
    explicit Shortlist(QObject *parent = nullptr);

    bool isStarred(qint64 number) const { return m_starred.contains(number); }
    /** Stars (appended at the end) or unstars trial `number`; changed() only if that changes anything. */
    void setStarred(qint64 number, bool starred);
    void toggleStarred(qint64 number) { setStarred(number, !isStarred(number)); }
    /** The starred trials' numbers in the order they were starred. */
    const QList<qint64> &starred() const { return m_starred; }

    /** The note on trial `number`, "" if none. */
    QString note(qint64 number) const;
    /** Sets the note on trial `number` (trimmed; "" removes it). */
    void setNote(qint64 number, const QString &text);
    const std::map<qint64, QString> &notes() const { return m_notes; }

    bool isEmpty() const { return m_starred.isEmpty() && m_notes.empty(); }
    /** Forgets everything (another study was opened). */
    void clear();

    /** Compact JSON of the starred trials and the notes (see the class comment). */
    QString toJson() const;
    /**
     * Replaces everything by what `json` holds and emits restored() (not changed(): nothing needs saving).
     * Entries this version cannot read (a number that is not an integer, a note that is not a string) are
     * skipped; returns false if `json` is not a JSON object at all (then nothing changes).
     */
    bool restore(const QString &json);

Q_SIGNALS:
    /** Trial `number`'s star or note changed (by setStarred(), setNote()); -1 after clear(). */
    void changed(qint64 number);
    /** After restore(): everything may be different. */
    void restored();

private:
    QList<qint64> m_starred;
    std::map<qint64, QString> m_notes;
};

} // namespace psc
