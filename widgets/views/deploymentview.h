// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/studystore.h"
#include "psc/study/trial.h"

#include <QWidget>

#include <vector>

class QLabel;
class QTreeWidget;

namespace psc {

/**
 * The trial inspector's deployments tab: the files the selected trial was exported to (format, path, size, when,
 * warnings) and, under each, what was measured on the file beside what was estimated for it (compareExport():
 * flash, SRAM and instructions of a C build on each MCU target's core; a TFLite or ONNX file's bytes beside the
 * trial's weight memory), with the relative error. GUI thread only; holds copies, reads nothing itself.
 */
class DeploymentView : public QWidget
{
    Q_OBJECT
public:
    explicit DeploymentView(QWidget *parent = nullptr);

    /** Shows `exports` (oldest first, as the store returns them) of `trial`. */
    void setExports(const Trial &trial, const std::vector<ExportRecord> &exports);
    void clear();

    QTreeWidget *tree() const { return m_tree; }

private:
    QLabel *m_header = nullptr;
    QTreeWidget *m_tree = nullptr;
};

} // namespace psc
