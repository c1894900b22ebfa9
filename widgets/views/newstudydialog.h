// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/metrics.h"

#include <QDialog>
#include <QJsonObject>
#include <QMap>
#include <QStringList>

#include <functional>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace psc {

/** What the New Study form offers, from the engine's registries (the dialog itself depends on none of them). */
struct NewStudyChoices
{
    QStringList datasets;                     ///< knownDatasets()
    QMap<QString, QString> spaces;            ///< bundled search spaces: name -> absolute file path
    QStringList strategies;                   ///< PluginRegistry::strategyIds()
    std::vector<MetricRef> modelMetrics;      ///< modelMetrics()
    QMap<QString, QStringList> targetMetrics; ///< each loaded target id -> the metrics it reports
    /** The engine's verdict on spec text: "" if a study can be made of it, else the problem with its JSON pointer. */
    std::function<QString(const QString &json)> check;
};

/**
 * *File ▸ New Study…*: a study spec built in a form, for a newcomer who has not written one. Sections: name and
 * description; dataset; search space (a bundled one, with its block types, widths, block counts, weight bits and
 * sparsity editable in place: an edited space is written inline); objectives and constraints (metrics from the
 * registry, target metrics with their target); strategy and its options; budget; training recipe; seed. The
 * equivalent JSON (docs/formats/study-spec.md) is shown as it changes; every change is checked by the engine
 * (NewStudyChoices::check, the same checks `paretoscope run` makes), and a problem is said under the section its JSON
 * pointer names, with *Create* off until the spec is valid. *Create…* accepts the dialog: specJson() is the spec.
 * GUI thread only.
 */
class NewStudyDialog : public QDialog
{
    Q_OBJECT
public:
    explicit NewStudyDialog(NewStudyChoices choices, QWidget *parent = nullptr);
    ~NewStudyDialog() override;

    /** The spec as JSON text, in the form's order. */
    QString specJson() const;
    /** The engine's problem with the spec as it stands, or "". */
    QString problem() const { return m_problem; }
    /** The study's name (a file name proposal). */
    QString studyName() const;

    // For tests and for callers that prefill the form.
    QLineEdit *nameEdit() const { return m_name; }
    QComboBox *spaceMenu() const { return m_space; }
    QLineEdit *spaceField(const QString &key) const { return m_spaceFields.value(key); }
    QTableWidget *objectives() const { return m_objectives; }
    QTableWidget *constraints() const { return m_constraints; }
    /** Adds an objective row (metric "name" or "name@target", "max"/"min"); returns its row. */
    int addObjective(const QString &metric, const QString &direction);
    /** Adds a constraint row ("weight_bytes", "<=", "64KiB"); returns its row. */
    int addConstraint(const QString &metric, const QString &op, const QString &bound);
    QComboBox *strategyMenu() const { return m_strategy; }
    QLineEdit *strategyOptions() const { return m_strategyOptions; }
    QSpinBox *trialBudget() const { return m_trials; }
    QSpinBox *epochs() const { return m_epochs; }
    QPlainTextEdit *preview() const { return m_preview; }
    QPushButton *createButton() const { return m_create; }
    /** The label under the section a problem belongs to: "space", "objectives", "constraints", "strategy", "budget",
     *  "training", "general". */
    QLabel *errorLabel(const QString &section) const { return m_errors.value(section); }

private:
    QWidget *metricEditor(const QString &metric);
    void loadSpace();
    QJsonObject spaceObject(bool *edited) const;
    void update();
    void showProblem(const QString &problem);

    NewStudyChoices m_choices;
    QString m_problem;
    QJsonObject m_baseSpace;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_description = nullptr;
    QComboBox *m_dataset = nullptr;
    QComboBox *m_space = nullptr;
    QMap<QString, QLineEdit *> m_spaceFields; ///< "blocks.type", "blocks.out_channels", ...
    QTableWidget *m_objectives = nullptr;
    QTableWidget *m_constraints = nullptr;
    QComboBox *m_strategy = nullptr;
    QLineEdit *m_strategyOptions = nullptr;
    QSpinBox *m_trials = nullptr;
    QSpinBox *m_wallMinutes = nullptr;
    QSpinBox *m_epochs = nullptr;
    QSpinBox *m_qatEpochs = nullptr;
    QSpinBox *m_batch = nullptr;
    QDoubleSpinBox *m_learningRate = nullptr;
    QComboBox *m_optimizer = nullptr;
    QSpinBox *m_trainSubset = nullptr;
    QSpinBox *m_seed = nullptr;
    QPlainTextEdit *m_preview = nullptr;
    QPushButton *m_create = nullptr;
    QMap<QString, QLabel *> m_errors;
    bool m_building = false;
};

} // namespace psc
