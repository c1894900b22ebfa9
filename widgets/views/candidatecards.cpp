// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/candidatecards.h"

#include "models/metricformat.h"
#include "models/shortlist.h"
#include "models/trialfilter.h"
#include "models/trialset.h"
#include "models/trialsummary.h"
#include "plot/flowlayout.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMouseEvent>
#include <QPushButton>
#include <QScrollArea>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace psc {
namespace {

const char *const kTrialProperty = "pscTrialId";

/** The accuracy a card leads with: the study's first accuracy-like objective, else "accuracy". */
MetricRef headlineAccuracy(const StudySpec &spec)
{
    for (const Objective &o : spec.objectives)
        if (o.metric.target.empty() && o.metric.name.find("accuracy") != std::string::npos)
            return o.metric;
    return MetricRef{"accuracy", {}};
}

QString valueOf(const Trial &trial, const MetricRef &metric)
{
    const auto v = metricValue(trial, metric);
    return v ? formatMetricValue(metric, *v) : QStringLiteral("–");
}

QLabel *small(const QString &text, QWidget *parent, bool header = false)
{
    auto *label = new QLabel(text, parent);
    QFont f = label->font();
    f.setPointSizeF(f.pointSizeF() * 0.9);
    f.setBold(header);
    label->setFont(f);
    return label;
}

} // namespace

QFrame *makeCandidateCard(const Trial &trial, const StudySpec &spec, bool onFront, const Shortlist *shortlist,
                          const QStringList &targets, QWidget *parent)
{
    auto *card = new QFrame(parent);
    card->setObjectName(QStringLiteral("candidateCard"));
    card->setFrameShape(QFrame::StyledPanel);
    card->setAutoFillBackground(true);
    card->setBackgroundRole(QPalette::Base);
    auto *grid = new QGridLayout(card);
    grid->setHorizontalSpacing(10);
    grid->setVerticalSpacing(2);
    auto *title = new QLabel(CandidateCards::tr("<b>Trial %1</b>%2")
                                 .arg(trial.number)
                                 .arg(onFront ? CandidateCards::tr(" &nbsp;◆ front") : QString()),
                             card);
    auto *head = new QHBoxLayout;
    head->setObjectName(QStringLiteral("cardHead"));
    head->addWidget(title, 1);
    grid->addLayout(head, 0, 0, 1, 6);
    QString origin = compressionVariantSummary(trial);
    origin = origin.isEmpty() ? architectureSummary(trial) : CandidateCards::tr("compressed: %1").arg(origin);
    // One line each, elided at about 50 characters of the card's font (its tooltip has the whole text): word-wrapped
    // labels in a grid take the wrong height when the card's font is large (the presentation mode).
    auto *sub = small(QString(), card);
    const int width = 50 * sub->fontMetrics().averageCharWidth();
    sub->setText(sub->fontMetrics().elidedText(origin, Qt::ElideRight, width));
    sub->setToolTip(origin);
    sub->setStyleSheet(QStringLiteral("color: palette(mid);"));
    grid->addWidget(sub, 1, 0, 1, 6);
    if (shortlist && !shortlist->note(trial.number).isEmpty()) {
        const QString text = QStringLiteral("“%1”").arg(shortlist->note(trial.number));
        auto *note = small(QString(), card);
        QFont italic = note->font();
        italic.setItalic(true);
        note->setFont(italic);
        note->setTextFormat(Qt::PlainText);
        note->setText(note->fontMetrics().elidedText(text, Qt::ElideRight, width));
        note->setToolTip(text);
        grid->addWidget(note, 2, 0, 1, 6);
    }

    const MetricRef accuracy = headlineAccuracy(spec);
    auto *acc = new QLabel(QStringLiteral("<span style='font-size:x-large; font-weight:600'>%1</span><br>%2")
                               .arg(valueOf(trial, accuracy), metricLabel(accuracy).toHtmlEscaped()),
                           card);
    const MetricRef size{"weight_bytes", {}};
    auto *bytes = new QLabel(QStringLiteral("<span style='font-size:x-large; font-weight:600'>%1</span><br>%2")
                                 .arg(valueOf(trial, size), CandidateCards::tr("Deployed weights")),
                             card);
    grid->addWidget(acc, 3, 0, 1, 3);
    grid->addWidget(bytes, 3, 3, 1, 3);

    if (!targets.isEmpty()) {
        const QStringList heads{CandidateCards::tr("Target"), CandidateCards::tr("Latency"),
                                CandidateCards::tr("Energy"), CandidateCards::tr("RAM"),
                                CandidateCards::tr("Flash"),  CandidateCards::tr("Fit")};
        for (int c = 0; c < heads.size(); ++c)
            grid->addWidget(small(heads[c], card, true), 4, c, c == 0 ? Qt::AlignLeft : Qt::AlignRight);
        int row = 5;
        for (const QString &target : targets) {
            const std::string t = target.toStdString();
            grid->addWidget(small(target, card), row, 0);
            const QStringList names{QStringLiteral("latency_s"), QStringLiteral("energy_j"),
                                    QStringLiteral("sram_bytes"), QStringLiteral("flash_bytes")};
            for (int c = 0; c < names.size(); ++c) {
                auto *v = small(valueOf(trial, MetricRef{names[c].toStdString(), t}), card);
                v->setToolTip(metricDescription(MetricRef{names[c].toStdString(), t}));
                grid->addWidget(v, row, c + 1, Qt::AlignRight);
            }
            const auto feasible = metricValue(trial, MetricRef{"feasible", t});
            auto *fit = small(!feasible         ? QStringLiteral("–")
                              : *feasible > 0.5 ? QStringLiteral("✔")
                                                : QStringLiteral("✘"),
                              card, true);
            fit->setObjectName(QStringLiteral("cardFit"));
            fit->setStyleSheet(!feasible         ? QString()
                               : *feasible > 0.5 ? QStringLiteral("color: #2a8a2a;")
                                                 : QStringLiteral("color: #c03030;"));
            fit->setToolTip(
                !feasible ? CandidateCards::tr("Not costed on %1").arg(target)
                : *feasible > 0.5
                    ? CandidateCards::tr("Fits every limit of %1").arg(target)
                    : CandidateCards::tr("Breaks a limit of %1 (the inspector's fit matrix says which)").arg(target));
            grid->addWidget(fit, row, 5, Qt::AlignRight);
            ++row;
        }
    }
    return card;
}

CandidateCards::CandidateCards(TrialSet *trials, QWidget *parent) : QWidget(parent), m_trials(trials)
{
    m_showMenu = new QComboBox(this);
    m_showMenu->setObjectName(QStringLiteral("cardsShowMenu"));
    m_showMenu->addItem(tr("Shortlist and front"), int(Show::ShortlistAndFront));
    m_showMenu->addItem(tr("Shortlist"), int(Show::Shortlist));
    m_showMenu->addItem(tr("Pareto front"), int(Show::Front));
    m_showMenu->setToolTip(tr("Which trials get a card: the starred ones, those on the study's Pareto front, or both"));
    m_sortMenu = new QComboBox(this);
    m_sortMenu->setObjectName(QStringLiteral("cardsSortMenu"));
    m_sortMenu->setToolTip(tr("The order of the cards: best first by the chosen metric"));
    m_reverseButton = new QToolButton(this);
    m_reverseButton->setCheckable(true);
    m_reverseButton->setText(QStringLiteral("⇅"));
    m_reverseButton->setToolTip(tr("Reverse the order (worst first)"));
    m_targetsButton = new QToolButton(this);
    m_targetsButton->setObjectName(QStringLiteral("cardsTargetsButton"));
    m_targetsButton->setText(tr("Targets"));
    m_targetsButton->setPopupMode(QToolButton::InstantPopup);
    m_targetsButton->setMenu(new QMenu(m_targetsButton));
    m_targetsButton->setToolTip(tr("The targets whose latency, energy, RAM, flash and fit the cards show"));
    m_compare = new QPushButton(tr("Compare"), this);
    m_compare->setObjectName(QStringLiteral("cardsCompareButton"));
    m_compare->setToolTip(tr("Put the trials ticked Compare (two to four) side by side"));
    m_compare->setEnabled(false);
    connect(m_compare, &QPushButton::clicked, this, [this] { Q_EMIT compareRequested(compareChecked()); });
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("cardsSummary"));
    m_summary->setWordWrap(true);

    auto *controls = new QWidget(this);
    auto *flowControls = new FlowLayout(controls);
    auto pair = [controls](const QString &label, QWidget *w) {
        auto *box = new QWidget(controls);
        auto *row = new QHBoxLayout(box);
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(new QLabel(label, box));
        w->setParent(box);
        row->addWidget(w);
        return box;
    };
    flowControls->addWidget(pair(tr("Show:"), m_showMenu));
    auto *sort = pair(tr("Sort by:"), m_sortMenu);
    m_reverseButton->setParent(sort);
    sort->layout()->addWidget(m_reverseButton);
    flowControls->addWidget(sort);
    m_targetsButton->setParent(controls);
    flowControls->addWidget(m_targetsButton);
    m_compare->setParent(controls);
    flowControls->addWidget(m_compare);

    m_canvas = new QWidget;
    m_canvas->setObjectName(QStringLiteral("cardsCanvas"));
    m_flow = new FlowLayout(m_canvas, 8, 8);
    m_scroll = new QScrollArea(this);
    m_scroll->setWidgetResizable(true);
    m_scroll->setWidget(m_canvas);
    m_scroll->setFrameShape(QFrame::NoFrame);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->addWidget(controls);
    layout->addWidget(m_summary);
    layout->addWidget(m_scroll, 1);

    connect(m_showMenu, &QComboBox::currentIndexChanged, this, [this] {
        m_show = Show(m_showMenu->currentData().toInt());
        scheduleRebuild();
    });
    connect(m_sortMenu, &QComboBox::currentIndexChanged, this, [this] {
        if (const auto ref = parseMetricRef(m_sortMenu->currentData().toString().toStdString()))
            m_sortMetric = *ref;
        scheduleRebuild();
    });
    connect(m_reverseButton, &QToolButton::toggled, this, [this](bool on) {
        m_reverse = on;
        scheduleRebuild();
    });
    connect(m_trials, &TrialSet::wasReset, this, &CandidateCards::studyChanged);
    connect(m_trials, &TrialSet::updated, this, &CandidateCards::scheduleRebuild);
    studyChanged();
}

CandidateCards::~CandidateCards() = default;

void CandidateCards::setShortlist(Shortlist *shortlist)
{
    m_shortlist = shortlist;
    connect(m_shortlist, &Shortlist::changed, this, &CandidateCards::scheduleRebuild);
    connect(m_shortlist, &Shortlist::restored, this, &CandidateCards::scheduleRebuild);
    scheduleRebuild();
}

void CandidateCards::setTrialFilter(TrialFilter *filter)
{
    m_filter = filter;
    connect(m_filter, &TrialFilter::changed, this, &CandidateCards::scheduleRebuild);
    scheduleRebuild();
}

void CandidateCards::setShow(Show show)
{
    m_showMenu->setCurrentIndex(m_showMenu->findData(int(show)));
}

std::vector<MetricRef> CandidateCards::sortMetrics() const
{
    return m_trials->hasStudy() ? studyMetrics(m_trials->spec()) : std::vector<MetricRef>{};
}

bool CandidateCards::setSortMetric(const MetricRef &metric, bool reverse)
{
    const int i = m_sortMenu->findData(QString::fromStdString(metric.toString()));
    if (i < 0)
        return false;
    m_sortMenu->setCurrentIndex(i);
    m_reverseButton->setChecked(reverse);
    return true;
}

void CandidateCards::setShownTargets(const QStringList &ids)
{
    m_shownTargets.clear();
    for (const QString &id : m_studyTargets)
        if (ids.contains(id))
            m_shownTargets << id;
    for (QAction *a : m_targetsButton->menu()->actions()) {
        const QSignalBlocker block(a);
        a->setChecked(m_shownTargets.contains(a->data().toString()));
    }
    scheduleRebuild();
}

void CandidateCards::studyChanged()
{
    m_checked.clear();
    m_selected = -1;
    {
        const QSignalBlocker block(m_sortMenu);
        m_sortMenu->clear();
        for (const MetricRef &m : sortMetrics())
            m_sortMenu->addItem(metricLabel(m), QString::fromStdString(m.toString()));
    }
    m_sortMetric = sortMetrics().empty() ? MetricRef{} : sortMetrics().front();
    m_studyTargets = m_trials->hasStudy() ? psc::studyTargets(m_trials->spec()) : QStringList();
    QMenu *menu = m_targetsButton->menu();
    menu->clear();
    for (const QString &id : m_studyTargets) {
        QAction *a = menu->addAction(id);
        a->setData(id);
        a->setCheckable(true);
        a->setChecked(true);
        connect(a, &QAction::toggled, this, [this] {
            QStringList ids;
            for (QAction *x : m_targetsButton->menu()->actions())
                if (x->isChecked())
                    ids << x->data().toString();
            setShownTargets(ids);
        });
    }
    m_targetsButton->setEnabled(!m_studyTargets.isEmpty());
    m_shownTargets = m_studyTargets;
    scheduleRebuild();
}

void CandidateCards::scheduleRebuild()
{
    if (m_dirty)
        return;
    m_dirty = true;
    if (isVisible())
        QTimer::singleShot(0, this, [this] {
            if (m_dirty && isVisible())
                rebuild();
        });
}

void CandidateCards::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_dirty)
        rebuild();
}

QList<qint64> CandidateCards::cardTrials()
{
    if (m_dirty)
        rebuild();
    return m_cardIds;
}

QFrame *CandidateCards::card(qint64 id) const
{
    const qsizetype i = m_cardIds.indexOf(id);
    return i >= 0 && std::size_t(i) < m_cards.size() ? m_cards[std::size_t(i)] : nullptr;
}

QList<qint64> CandidateCards::compareChecked() const
{
    QList<qint64> ids;
    for (qint64 id : m_cardIds)
        if (m_checked.contains(id))
            ids << id;
    return ids;
}

void CandidateCards::updateCompareButton()
{
    const qsizetype n = compareChecked().size();
    m_compare->setEnabled(n >= 2 && n <= 4);
    m_compare->setText(n ? tr("Compare (%1)").arg(n) : tr("Compare"));
}

void CandidateCards::setSelectedTrial(qint64 id)
{
    m_selected = id;
    for (std::size_t i = 0; i < m_cards.size(); ++i)
        m_cards[i]->setStyleSheet(m_cardIds[qsizetype(i)] == id
                                      ? QStringLiteral("QFrame#candidateCard { border: 2px solid palette(highlight); }")
                                      : QString());
}

void CandidateCards::rebuild()
{
    m_dirty = false;
    for (QFrame *c : m_cards)
        delete c;
    m_cards.clear();
    m_cardIds.clear();
    if (!m_trials->hasStudy()) {
        m_summary->setText(tr("<i>Open a study to see its candidates.</i>"));
        updateCompareButton();
        return;
    }
    const StudySpec &spec = m_trials->spec();
    std::vector<int> chosen;
    int starred = 0, front = 0;
    for (int i = 0; i < m_trials->size(); ++i) {
        const Trial &t = m_trials->trials()[std::size_t(i)];
        const bool isStarred = m_shortlist && m_shortlist->isStarred(t.number);
        const bool onFront = m_trials->isOnFront(i);
        const bool wanted = m_show == Show::Shortlist ? isStarred
                            : m_show == Show::Front   ? onFront
                                                      : isStarred || onFront;
        if (!wanted || (m_filter && m_filter->isActive() && !m_filter->accepts(t)))
            continue;
        starred += isStarred ? 1 : 0;
        front += onFront ? 1 : 0;
        chosen.push_back(i);
    }
    // Best first by the sort metric; trials without a value last.
    const bool maximise = metricDirection(spec, m_sortMetric) == Direction::Maximize;
    std::stable_sort(chosen.begin(), chosen.end(), [&](int a, int b) {
        const auto va = metricValue(m_trials->trials()[std::size_t(a)], m_sortMetric);
        const auto vb = metricValue(m_trials->trials()[std::size_t(b)], m_sortMetric);
        if (!va || !vb)
            return va.has_value() && !vb.has_value();
        const bool better = maximise ? *va > *vb : *va < *vb;
        const bool worse = maximise ? *va < *vb : *va > *vb;
        return m_reverse ? worse : better;
    });
    const int total = int(chosen.size());
    if (total > maxCards())
        chosen.resize(std::size_t(maxCards()));
    QString text = total == 0 ? tr("<i>No candidates yet: star trials (★ in the table, Ctrl+D) or wait for the "
                                   "Pareto front.</i>")
                              : (total == 1 ? tr("1 candidate") : tr("%1 candidates").arg(total)) +
                                    tr(": %1 starred, %2 on the front").arg(starred).arg(front);
    if (total > maxCards())
        text += tr("; the first %1 by %2 are shown").arg(maxCards()).arg(metricLabel(m_sortMetric));
    if (m_filter && m_filter->isActive())
        text += tr(" (filtered)");
    m_summary->setText(text);
    m_canvas->setUpdatesEnabled(false);
    for (int i : chosen) {
        const Trial &t = m_trials->trials()[std::size_t(i)];
        QFrame *c = makeCard(t, m_trials->isOnFront(i));
        m_flow->addWidget(c);
        m_cards.push_back(c);
        m_cardIds << t.id;
    }
    m_checked.erase(
        std::remove_if(m_checked.begin(), m_checked.end(), [this](qint64 id) { return !m_cardIds.contains(id); }),
        m_checked.end());
    m_canvas->setUpdatesEnabled(true);
    setSelectedTrial(m_selected);
    updateCompareButton();
}

QFrame *CandidateCards::makeCard(const Trial &trial, bool onFront)
{
    QFrame *card = makeCandidateCard(trial, m_trials->spec(), onFront, m_shortlist, m_shownTargets, m_canvas);
    card->setProperty(kTrialProperty, QVariant::fromValue<qlonglong>(trial.id));
    card->installEventFilter(this);
    card->setCursor(Qt::PointingHandCursor);
    card->setToolTip(trialToolTip(trial, m_trials->spec(), onFront));
    auto *head = card->findChild<QHBoxLayout *>(QStringLiteral("cardHead"));
    const bool isStarred = m_shortlist && m_shortlist->isStarred(trial.number);
    auto *star = new QToolButton(card);
    star->setObjectName(QStringLiteral("cardStar"));
    star->setAutoRaise(true);
    star->setText(isStarred ? QStringLiteral("★") : QStringLiteral("☆"));
    star->setStyleSheet(QStringLiteral("color: #d09000; font-size: 14pt;"));
    star->setToolTip(isStarred ? tr("Remove from the shortlist") : tr("Add to the shortlist"));
    const qint64 number = trial.number;
    connect(star, &QToolButton::clicked, this, [this, number] {
        if (m_shortlist)
            m_shortlist->toggleStarred(number);
    });
    auto *compare = new QCheckBox(tr("Compare"), card);
    compare->setObjectName(QStringLiteral("cardCompare"));
    compare->setChecked(m_checked.contains(trial.id));
    const qint64 id = trial.id;
    connect(compare, &QCheckBox::toggled, this, [this, id](bool on) {
        m_checked.removeAll(id);
        if (on)
            m_checked << id;
        updateCompareButton();
    });
    head->insertWidget(0, star);
    head->addWidget(compare);
    return card;
}

bool CandidateCards::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::MouseButtonRelease) {
        const QVariant id = watched->property(kTrialProperty);
        if (id.isValid() && static_cast<QMouseEvent *>(event)->button() == Qt::LeftButton) {
            Q_EMIT trialClicked(id.toLongLong());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace psc
