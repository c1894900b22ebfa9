// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/newstudydialog.h"

#include "models/metricformat.h"
#include "views/errorlabel.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace psc {
namespace {

using ordered_json = nlohmann::ordered_json;

/** The space settings the form edits, as "section.key" paths into the space JSON, with their labels. */
const std::vector<std::pair<QString, QString>> &spaceKeys()
{
    static const std::vector<std::pair<QString, QString>> keys{
        {QStringLiteral("blocks.type"), QStringLiteral("Block types")},
        {QStringLiteral("blocks.count"), QStringLiteral("Blocks")},
        {QStringLiteral("blocks.out_channels"), QStringLiteral("Block widths")},
        {QStringLiteral("stem.out_channels"), QStringLiteral("Stem widths")},
        {QStringLiteral("weight_bits"), QStringLiteral("Weight bits")},
        {QStringLiteral("sparsity"), QStringLiteral("Sparsity")},
    };
    return keys;
}

QJsonValue valueAt(const QJsonObject &object, const QString &path)
{
    const QStringList parts = path.split(QLatin1Char('.'));
    QJsonValue v = object;
    for (const QString &p : parts)
        v = v.toObject().value(p);
    return v;
}

void setValueAt(QJsonObject &object, const QString &path, const QJsonValue &value)
{
    const QStringList parts = path.split(QLatin1Char('.'));
    if (parts.size() == 1) {
        object.insert(parts[0], value);
        return;
    }
    QJsonObject inner = object.value(parts[0]).toObject();
    inner.insert(parts[1], value);
    object.insert(parts[0], inner);
}

QString listText(const QJsonValue &value)
{
    QStringList items;
    for (const QJsonValue &v : value.toArray())
        items << (v.isString() ? v.toString()
                  : v.isBool() ? (v.toBool() ? QStringLiteral("true") : QStringLiteral("false"))
                               : QString::number(v.toDouble(), 'g', 6));
    return items.join(QStringLiteral(", "));
}

/** `text` as a JSON array of the same kind as `like` (strings or numbers); false if an item is not a number. */
bool parseList(const QString &text, const QJsonValue &like, QJsonArray *out, QString *bad)
{
    const bool strings = !like.toArray().isEmpty() && like.toArray().first().isString();
    for (const QString &raw : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString item = raw.trimmed();
        if (strings) {
            out->append(item);
            continue;
        }
        bool ok = false;
        const double d = item.toDouble(&ok);
        if (!ok) {
            *bad = item;
            return false;
        }
        out->append(d);
    }
    return true;
}

QLabel *sectionError(QWidget *parent, const QString &section)
{
    QLabel *label = createErrorLabel(parent, QStringLiteral("newStudyError-") + section);
    label->hide();
    return label;
}

} // namespace

NewStudyDialog::NewStudyDialog(NewStudyChoices choices, QWidget *parent)
    : QDialog(parent), m_choices(std::move(choices))
{
    setObjectName(QStringLiteral("newStudyDialog"));
    setWindowTitle(tr("New Study"));
    m_building = true;
    auto *form = new QWidget;
    auto *formLayout = new QVBoxLayout(form);

    // General.
    auto *general = new QGroupBox(tr("Study"), form);
    auto *generalForm = new QFormLayout(general);
    m_name = new QLineEdit(QStringLiteral("my-study"), general);
    m_name->setToolTip(tr("A short name: letters, digits, - and _; it names the study and proposes the file name"));
    m_description = new QLineEdit(general);
    m_description->setPlaceholderText(tr("What the study is for (optional)"));
    m_dataset = new QComboBox(general);
    m_dataset->addItems(m_choices.datasets);
    m_dataset->setToolTip(tr("The task the candidates are trained on"));
    m_seed = new QSpinBox(general);
    m_seed->setRange(0, 1000000000);
    m_seed->setValue(42);
    m_seed->setToolTip(tr("Seeds the search and the trainings: the same spec and seed give the same study"));
    generalForm->addRow(tr("Name:"), m_name);
    generalForm->addRow(tr("Description:"), m_description);
    generalForm->addRow(tr("Dataset:"), m_dataset);
    generalForm->addRow(tr("Seed:"), m_seed);
    m_errors[QStringLiteral("general")] = sectionError(general, QStringLiteral("general"));
    generalForm->addRow(m_errors[QStringLiteral("general")]);
    formLayout->addWidget(general);

    // Search space.
    auto *space = new QGroupBox(tr("Search space"), form);
    auto *spaceForm = new QFormLayout(space);
    m_space = new QComboBox(space);
    for (auto it = m_choices.spaces.begin(); it != m_choices.spaces.end(); ++it)
        m_space->addItem(it.key(), it.value());
    m_space->setToolTip(tr("A bundled space (docs/formats/search-space.md); edit its choices below, or keep them"));
    spaceForm->addRow(tr("Space:"), m_space);
    for (const auto &[key, label] : spaceKeys()) {
        auto *edit = new QLineEdit(space);
        edit->setObjectName(QStringLiteral("space-") + key);
        edit->setToolTip(tr("The choices of %1, separated by commas (%2 in the space file)").arg(label.toLower(), key));
        m_spaceFields[key] = edit;
        spaceForm->addRow(label + QLatin1Char(':'), edit);
        connect(edit, &QLineEdit::textChanged, this, &NewStudyDialog::update);
    }
    m_errors[QStringLiteral("space")] = sectionError(space, QStringLiteral("space"));
    spaceForm->addRow(m_errors[QStringLiteral("space")]);
    formLayout->addWidget(space);
    connect(m_space, &QComboBox::currentIndexChanged, this, &NewStudyDialog::loadSpace);

    // Objectives and constraints.
    auto table = [](QWidget *owner, const QStringList &headers, const QString &name) {
        auto *t = new QTableWidget(0, int(headers.size()), owner);
        t->setObjectName(name);
        t->setHorizontalHeaderLabels(headers);
        t->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
        t->verticalHeader()->hide();
        t->setSelectionBehavior(QAbstractItemView::SelectRows);
        t->setMinimumHeight(110);
        return t;
    };
    auto *goals = new QGroupBox(tr("Objectives and constraints"), form);
    auto *goalsLayout = new QVBoxLayout(goals);
    m_objectives = table(goals, {tr("Objective metric"), tr("Direction")}, QStringLiteral("objectivesTable"));
    m_constraints =
        table(goals, {tr("Constrained metric"), tr("Limit"), tr("Bound")}, QStringLiteral("constraintsTable"));
    auto buttons = [this](QWidget *owner, QTableWidget *t, std::function<void()> add) {
        auto *row = new QHBoxLayout;
        auto *plus = new QPushButton(tr("Add"), owner);
        auto *minus = new QPushButton(tr("Remove"), owner);
        connect(plus, &QPushButton::clicked, this, add);
        connect(minus, &QPushButton::clicked, this, [this, t] {
            if (t->currentRow() >= 0)
                t->removeRow(t->currentRow());
            update();
        });
        row->addWidget(plus);
        row->addWidget(minus);
        row->addStretch(1);
        return row;
    };
    goalsLayout->addWidget(m_objectives);
    goalsLayout->addLayout(
        buttons(goals, m_objectives, [this] { addObjective(QStringLiteral("accuracy"), QString()); }));
    m_errors[QStringLiteral("objectives")] = sectionError(goals, QStringLiteral("objectives"));
    goalsLayout->addWidget(m_errors[QStringLiteral("objectives")]);
    goalsLayout->addWidget(m_constraints);
    goalsLayout->addLayout(buttons(goals, m_constraints, [this] {
        addConstraint(QStringLiteral("weight_bytes"), QStringLiteral("<="), QStringLiteral("64KiB"));
    }));
    m_errors[QStringLiteral("constraints")] = sectionError(goals, QStringLiteral("constraints"));
    goalsLayout->addWidget(m_errors[QStringLiteral("constraints")]);
    formLayout->addWidget(goals);

    // Strategy and budget.
    auto *search = new QGroupBox(tr("Strategy and budget"), form);
    auto *searchForm = new QFormLayout(search);
    m_strategy = new QComboBox(search);
    m_strategy->addItems(m_choices.strategies);
    m_strategy->setToolTip(tr("How candidates are proposed (docs/search.md)"));
    m_strategyOptions = new QLineEdit(QStringLiteral("{}"), search);
    m_strategyOptions->setToolTip(tr("The strategy's options as a JSON object, e.g. {\"initial_trials\": 8}"));
    m_trials = new QSpinBox(search);
    m_trials->setRange(0, 1000000);
    m_trials->setValue(24);
    m_trials->setSpecialValueText(tr("no limit"));
    m_trials->setToolTip(tr("Search trials to train (0: no limit; then give a time budget)"));
    m_wallMinutes = new QSpinBox(search);
    m_wallMinutes->setRange(0, 100000);
    m_wallMinutes->setSuffix(tr(" min"));
    m_wallMinutes->setSpecialValueText(tr("no limit"));
    m_wallMinutes->setToolTip(tr("Stop proposing after this much running time, over all runs of the study"));
    searchForm->addRow(tr("Strategy:"), m_strategy);
    searchForm->addRow(tr("Options:"), m_strategyOptions);
    m_errors[QStringLiteral("strategy")] = sectionError(search, QStringLiteral("strategy"));
    searchForm->addRow(m_errors[QStringLiteral("strategy")]);
    searchForm->addRow(tr("Trials:"), m_trials);
    searchForm->addRow(tr("Time:"), m_wallMinutes);
    m_errors[QStringLiteral("budget")] = sectionError(search, QStringLiteral("budget"));
    searchForm->addRow(m_errors[QStringLiteral("budget")]);
    formLayout->addWidget(search);

    // Training.
    auto *training = new QGroupBox(tr("Training recipe"), form);
    auto *trainingForm = new QFormLayout(training);
    auto spin = [training](int low, int high, int value, const QString &tip) {
        auto *s = new QSpinBox(training);
        s->setRange(low, high);
        s->setValue(value);
        s->setToolTip(tip);
        return s;
    };
    m_epochs = spin(1, 1000, 3, tr("Float training epochs per candidate"));
    m_qatEpochs = spin(0, 1000, 1, tr("Quantisation-aware fine-tuning epochs after folding (0: calibration only)"));
    m_batch = spin(1, 65536, 128, tr("Images per batch"));
    m_learningRate = new QDoubleSpinBox(training);
    m_learningRate->setDecimals(5);
    m_learningRate->setRange(0.00001, 10.0);
    m_learningRate->setSingleStep(0.0005);
    m_learningRate->setValue(0.003);
    m_optimizer = new QComboBox(training);
    m_optimizer->addItems({QStringLiteral("adam"), QStringLiteral("sgd")});
    m_trainSubset = spin(0, 60000, 0, tr("Train on only this many images (0: all), for quick studies"));
    m_trainSubset->setSpecialValueText(tr("all"));
    trainingForm->addRow(tr("Epochs:"), m_epochs);
    trainingForm->addRow(tr("QAT epochs:"), m_qatEpochs);
    trainingForm->addRow(tr("Batch size:"), m_batch);
    trainingForm->addRow(tr("Optimizer:"), m_optimizer);
    trainingForm->addRow(tr("Learning rate:"), m_learningRate);
    trainingForm->addRow(tr("Training images:"), m_trainSubset);
    m_errors[QStringLiteral("training")] = sectionError(training, QStringLiteral("training"));
    trainingForm->addRow(m_errors[QStringLiteral("training")]);
    formLayout->addWidget(training);
    formLayout->addStretch(1);

    for (QLineEdit *e : {m_name, m_description, m_strategyOptions})
        connect(e, &QLineEdit::textChanged, this, &NewStudyDialog::update);
    for (QComboBox *c : {m_dataset, m_strategy, m_optimizer})
        connect(c, &QComboBox::currentIndexChanged, this, &NewStudyDialog::update);
    for (QSpinBox *s : {m_seed, m_trials, m_wallMinutes, m_epochs, m_qatEpochs, m_batch, m_trainSubset})
        connect(s, &QSpinBox::valueChanged, this, &NewStudyDialog::update);
    connect(m_learningRate, &QDoubleSpinBox::valueChanged, this, &NewStudyDialog::update);

    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setWidget(form);
    m_preview = new QPlainTextEdit(this);
    m_preview->setObjectName(QStringLiteral("specPreview"));
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setToolTip(tr("The study spec this form makes (docs/formats/study-spec.md); Create saves it"));
    auto *previewBox = new QWidget(this);
    auto *previewLayout = new QVBoxLayout(previewBox);
    previewLayout->setContentsMargins(0, 0, 0, 0);
    previewLayout->addWidget(new QLabel(tr("<b>Study spec (JSON)</b>"), previewBox));
    previewLayout->addWidget(m_preview, 1);
    auto *split = new QSplitter(this);
    split->addWidget(scroll);
    split->addWidget(previewBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *box = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_create = box->addButton(tr("Create…"), QDialogButtonBox::AcceptRole);
    m_create->setObjectName(QStringLiteral("newStudyCreate"));
    m_create->setToolTip(tr("Save the spec, choose the study file and run the study"));
    connect(box, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(box, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split, 1);
    layout->addWidget(box);
    resize(parent ? QSize(1100, 760).boundedTo(parent->size()) : QSize(1100, 760));

    // Sensible defaults: the demo's space, deployed accuracy against weight memory, mobo.
    if (const int demo = m_space->findText(QStringLiteral("fashion-mnist-demo")); demo >= 0)
        m_space->setCurrentIndex(demo);
    if (const int mobo = m_strategy->findText(QStringLiteral("mobo")); mobo >= 0)
        m_strategy->setCurrentIndex(mobo);
    addObjective(QStringLiteral("deployed_accuracy"), QStringLiteral("max"));
    addObjective(QStringLiteral("weight_bytes"), QStringLiteral("min"));
    m_building = false;
    loadSpace();
}

NewStudyDialog::~NewStudyDialog() = default;

QWidget *NewStudyDialog::metricEditor(const QString &metric)
{
    auto *combo = new QComboBox;
    combo->setEditable(true);
    combo->setInsertPolicy(QComboBox::NoInsert);
    for (const MetricRef &m : m_choices.modelMetrics)
        combo->addItem(QString::fromStdString(m.name));
    for (auto it = m_choices.targetMetrics.begin(); it != m_choices.targetMetrics.end(); ++it)
        for (const QString &name : it.value())
            combo->addItem(name + QLatin1Char('@') + it.key());
    combo->setCurrentText(metric);
    combo->setToolTip(tr("A model metric, or metric@target for a hardware target's estimate"));
    connect(combo, &QComboBox::currentTextChanged, this, &NewStudyDialog::update);
    return combo;
}

int NewStudyDialog::addObjective(const QString &metric, const QString &direction)
{
    const int row = m_objectives->rowCount();
    m_objectives->insertRow(row);
    QWidget *editor = metricEditor(metric);
    m_objectives->setCellWidget(row, 0, editor);
    auto *dir = new QComboBox;
    dir->addItems({QStringLiteral("max"), QStringLiteral("min")});
    QString d = direction;
    if (d.isEmpty())
        if (const auto ref = parseMetricRef(metric.toStdString()))
            d = metricDirection({}, *ref) == Direction::Maximize ? QStringLiteral("max") : QStringLiteral("min");
    dir->setCurrentText(d.isEmpty() ? QStringLiteral("min") : d);
    connect(dir, &QComboBox::currentIndexChanged, this, &NewStudyDialog::update);
    // A metric chosen from the list brings its natural direction (accuracy up, costs down).
    connect(static_cast<QComboBox *>(editor), &QComboBox::currentTextChanged, dir, [dir](const QString &text) {
        if (const auto ref = parseMetricRef(text.trimmed().toStdString()); ref && describeMetric(*ref).known)
            dir->setCurrentText(describeMetric(*ref).better == Direction::Maximize ? QStringLiteral("max")
                                                                                   : QStringLiteral("min"));
    });
    m_objectives->setCellWidget(row, 1, dir);
    update();
    return row;
}

int NewStudyDialog::addConstraint(const QString &metric, const QString &op, const QString &bound)
{
    const int row = m_constraints->rowCount();
    m_constraints->insertRow(row);
    m_constraints->setCellWidget(row, 0, metricEditor(metric));
    auto *ops = new QComboBox;
    ops->addItems({QStringLiteral("<="), QStringLiteral("<"), QStringLiteral(">="), QStringLiteral(">")});
    ops->setCurrentText(op);
    connect(ops, &QComboBox::currentIndexChanged, this, &NewStudyDialog::update);
    m_constraints->setCellWidget(row, 1, ops);
    auto *value = new QLineEdit(bound);
    value->setToolTip(tr("A number, with a unit if you like: 64KiB, 20 ms, 5 mJ, 90 %"));
    connect(value, &QLineEdit::textChanged, this, &NewStudyDialog::update);
    m_constraints->setCellWidget(row, 2, value);
    update();
    return row;
}

void NewStudyDialog::loadSpace()
{
    QFile file(m_space->currentData().toString());
    m_baseSpace = file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object() : QJsonObject();
    m_building = true;
    for (const auto &[key, label] : spaceKeys()) {
        QLineEdit *edit = m_spaceFields[key];
        const QJsonValue v = valueAt(m_baseSpace, key);
        edit->setEnabled(v.isArray());
        edit->setText(v.isArray() ? listText(v) : QString());
        edit->setPlaceholderText(v.isArray() ? QString() : tr("not in this space"));
    }
    m_building = false;
    update();
}

QJsonObject NewStudyDialog::spaceObject(bool *edited) const
{
    QJsonObject space = m_baseSpace;
    *edited = false;
    for (const auto &[key, label] : spaceKeys()) {
        const QLineEdit *edit = m_spaceFields[key];
        const QJsonValue base = valueAt(m_baseSpace, key);
        if (!base.isArray() || edit->text() == listText(base))
            continue;
        QJsonArray values;
        QString bad;
        if (!parseList(edit->text(), base, &values, &bad))
            throw std::invalid_argument(tr("%1: \"%2\" is not a number").arg(label, bad).toStdString());
        setValueAt(space, key, values);
        *edited = true;
    }
    return space;
}

QString NewStudyDialog::studyName() const
{
    return m_name->text().trimmed();
}

QString NewStudyDialog::specJson() const
{
    ordered_json spec;
    spec["name"] = studyName().toStdString();
    if (!m_description->text().trimmed().isEmpty())
        spec["description"] = m_description->text().trimmed().toStdString();
    spec["task"] = {{"dataset", m_dataset->currentText().toStdString()}};
    bool edited = false;
    const QJsonObject space = spaceObject(&edited);
    if (edited)
        spec["search_space"] = ordered_json::parse(QJsonDocument(space).toJson(QJsonDocument::Compact).toStdString());
    else
        spec["search_space"] = m_space->currentData().toString().toStdString();
    ordered_json objectives = ordered_json::array();
    for (int r = 0; r < m_objectives->rowCount(); ++r)
        objectives.push_back(
            {{"metric",
              static_cast<QComboBox *>(m_objectives->cellWidget(r, 0))->currentText().trimmed().toStdString()},
             {"direction", static_cast<QComboBox *>(m_objectives->cellWidget(r, 1))->currentText().toStdString()}});
    spec["objectives"] = objectives;
    ordered_json constraints = ordered_json::array();
    for (int r = 0; r < m_constraints->rowCount(); ++r)
        constraints.push_back(
            QStringLiteral("%1 %2 %3")
                .arg(static_cast<QComboBox *>(m_constraints->cellWidget(r, 0))->currentText().trimmed(),
                     static_cast<QComboBox *>(m_constraints->cellWidget(r, 1))->currentText(),
                     static_cast<QLineEdit *>(m_constraints->cellWidget(r, 2))->text().trimmed())
                .toStdString());
    spec["constraints"] = constraints;
    const ordered_json options = ordered_json::parse(m_strategyOptions->text().toStdString(), nullptr, false);
    if (options.is_discarded() || !options.is_object())
        throw std::invalid_argument(tr("/strategy/options: expected a JSON object such as {\"initial_trials\": 8}, "
                                       "got \"%1\"")
                                        .arg(m_strategyOptions->text())
                                        .toStdString());
    spec["strategy"] = {{"id", m_strategy->currentText().toStdString()}, {"options", options}};
    ordered_json budget = ordered_json::object();
    if (m_trials->value() > 0)
        budget["trials"] = m_trials->value();
    if (m_wallMinutes->value() > 0)
        budget["wall_time_s"] = m_wallMinutes->value() * 60;
    spec["budget"] = budget;
    ordered_json training{{"epochs", m_epochs->value()},
                          {"qat_epochs", m_qatEpochs->value()},
                          {"batch_size", m_batch->value()},
                          {"optimizer", m_optimizer->currentText().toStdString()},
                          {"learning_rate", m_learningRate->value()}};
    if (m_trainSubset->value() > 0)
        training["train_subset"] = m_trainSubset->value();
    spec["training"] = training;
    spec["seed"] = m_seed->value();
    return QString::fromStdString(spec.dump(2));
}

void NewStudyDialog::update()
{
    if (m_building)
        return;
    QString text;
    QString problem;
    try {
        text = specJson();
    } catch (const std::invalid_argument &e) {
        problem = QString::fromUtf8(e.what());
        if (!problem.startsWith(QLatin1Char('/')))
            problem = QStringLiteral("/search_space: ") + problem;
    }
    if (!text.isEmpty()) {
        m_preview->setPlainText(text);
        if (m_objectives->rowCount() == 0)
            problem = tr("/objectives: give at least one objective");
        else if (m_choices.check)
            problem = m_choices.check(text);
    }
    showProblem(problem);
}

void NewStudyDialog::showProblem(const QString &problem)
{
    m_problem = problem;
    m_create->setEnabled(problem.isEmpty());
    for (QLabel *label : m_errors)
        label->hide();
    for (int r = 0; r < m_objectives->rowCount(); ++r)
        m_objectives->cellWidget(r, 0)->setStyleSheet(QString());
    for (int r = 0; r < m_constraints->rowCount(); ++r)
        m_constraints->cellWidget(r, 0)->setStyleSheet(QString());
    if (problem.isEmpty())
        return;
    // The section the JSON pointer names ("<new study>:7:5: /objectives/1/metric: ..."), and the row of a table.
    static const QRegularExpression pointer(QStringLiteral("/(name|description|task|search_space|objectives|"
                                                           "constraints|strategy|budget|training|seed)(?:/(\\d+))?"));
    const QRegularExpressionMatch m = pointer.match(problem);
    const QString key = m.hasMatch() ? m.captured(1) : QString();
    const QString section = key == QLatin1String("search_space") ? QStringLiteral("space")
                            : key == QLatin1String("objectives") || key == QLatin1String("constraints") ||
                                    key == QLatin1String("strategy") || key == QLatin1String("budget") ||
                                    key == QLatin1String("training")
                                ? key
                                : QStringLiteral("general");
    QLabel *label = m_errors.value(section);
    // "<new study>:17:5: " points into the JSON shown beside the form.
    static const QRegularExpression position(QStringLiteral("^<new study>:(\\d+):(\\d+): "));
    QString text = problem;
    text.replace(position, tr("Spec line \\1, column \\2: "));
    label->setText(text);
    label->show();
    if (m.hasMatch() && !m.captured(2).isEmpty()) {
        QTableWidget *t = key == QLatin1String("objectives")    ? m_objectives
                          : key == QLatin1String("constraints") ? m_constraints
                                                                : nullptr;
        const int row = m.captured(2).toInt();
        if (t && row < t->rowCount())
            t->cellWidget(row, 0)->setStyleSheet(QStringLiteral("border: 2px solid #c03030;"));
    }
}

} // namespace psc
