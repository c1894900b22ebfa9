// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/trial.h"

#include <QWidget>

class QCustomPlot;
class QLabel;

namespace psc {

/**
 * The selected trial's learning curve (float validation accuracy after each epoch) against the study's: every other
 * search trial's curve in light grey (complete) or light orange (stopped early), the selected one bold, and the
 * study's median at each epoch dashed, so a user sees where early stopping cut a trial and how its curve compared.
 * A line above says what the trial's curve is (or why it has none). GUI thread only.
 */
class LearningCurvePlot : public QWidget
{
    Q_OBJECT
public:
    explicit LearningCurvePlot(QWidget *parent = nullptr);

    /** Shows `trial`'s curve against those of `study` (the trial itself may be among them). */
    void setTrial(const Trial &trial, const std::vector<Trial> &study);
    void clear();
    /** The line above the plot. */
    QString summary() const;
    QCustomPlot *canvas() const { return m_plot; }
    /** The study's median validation accuracy at each epoch (index 0 = epoch 1), as last drawn. */
    const std::vector<double> &median() const { return m_median; }

private:
    QLabel *m_summary = nullptr;
    QCustomPlot *m_plot = nullptr;
    std::vector<double> m_median;
};

} // namespace psc
