// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studystore.h"

#include <QWidget>

#include <string>
#include <vector>

class QCustomPlot;
class QLabel;

namespace psc {

/**
 * The selected trial's analog accuracy against time after programming (log scale, 1 s to 10 years) on one analog
 * target: one curve per drift compensation recorded (global, per-column, none), each point ±1 standard deviation
 * over the device draws, so a user sees what drift compensation buys. A line above says what is shown or why
 * nothing is. Displays only; DriftController computes missing curves. GUI thread only.
 */
class AnalogDriftPlot : public QWidget
{
    Q_OBJECT
public:
    explicit AnalogDriftPlot(QWidget *parent = nullptr);
    /** Shows the records of trial `trialId` on `target` among `records` (any trials and targets). */
    void setTrial(qint64 trialId, int trialNumber, const std::string &target, const std::vector<AnalogRecord> &records);
    /** Says that the curves are being computed (shown until the next setTrial()). */
    void setComputing(const QString &text);
    void clear();
    QString summary() const;
    /** The compensations drawn, in legend order ("global", "none", ...). */
    QStringList curves() const { return m_curves; }
    QCustomPlot *canvas() const { return m_plot; }

private:
    QLabel *m_summary = nullptr;
    QCustomPlot *m_plot = nullptr;
    QStringList m_curves;
};

} // namespace psc
