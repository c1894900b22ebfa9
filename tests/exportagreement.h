// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// How closely a runtime running an exported model agrees with the integer reference: the largest difference of
// any logit in LSB, how many logits differ, and on how many images the class (argmax) is the same.

#include <QString>
#include <QTest>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace psc::test {

struct Agreement
{
    int worst = 0;  ///< largest |runtime - reference| of any logit, in LSB
    int off = 0;    ///< logits that differ
    int values = 0; ///< logits compared
    int same = 0;   ///< images with the same class
    int images = 0;

    void add(const std::vector<std::int8_t> &got, const std::vector<std::int8_t> &want)
    {
        for (std::size_t k = 0; k < got.size() && k < want.size(); ++k) {
            const int d = std::abs(int(got[k]) - int(want[k]));
            worst = std::max(worst, d);
            off += d != 0;
            ++values;
        }
        same += std::max_element(got.begin(), got.end()) - got.begin() ==
                std::max_element(want.begin(), want.end()) - want.begin();
        ++images;
    }

    /** "12 of 2000 logits differ, at most 1 LSB, same class on 200/200". */
    std::string summary() const
    {
        return std::to_string(off) + " of " + std::to_string(values) + " logits differ, at most " +
               std::to_string(worst) + " LSB, same class on " + std::to_string(same) + "/" + std::to_string(images);
    }

    /** True (and nothing reported) if within the bounds; otherwise the test fails with the figures. */
    bool within(int maxLsb, double sameClass) const { return worst <= maxLsb && same >= sameClass * images; }
};

/**
 * The rows both runtime-agreement tests use (columns json, seed, maxLsb, sameClass): single operators, each within
 * 1 LSB (runtimes that requantise in float round once where the reference, as TFLite, rounds twice), then whole
 * random networks, where those differences propagate and dense layers amplify them (bounds as measured,
 * docs/formats/export-tflite.md). `networks` holds the JSON of kConvPoolNet, kResidualNet and kFactorNet.
 */
inline void addAgreementRows(const char *convPool, const char *residual, const char *factor)
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<int>("seed");
    QTest::addColumn<int>("maxLsb");
    QTest::addColumn<double>("sameClass");
    const QString head =
        QStringLiteral(R"({"name": "one", "input": {"channels": 2, "height": 9, "width": 9}, "layers": [)");
    const auto row = [&](const char *tag, const char *layers, double sameClass) {
        QTest::newRow(tag) << head + QString::fromUtf8(layers) << 5 << 1 << sameClass;
    };
    row("conv2d same, relu",
        R"({"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3, "padding": "same", "activation": "relu"}]})",
        1.0);
    row("conv2d valid, stride 2", R"({"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3, "stride": 2}]})",
        1.0);
    row("depthwise x2",
        R"({"type": "depthwise_conv2d", "name": "c", "kernel": 3, "padding": "same", "depth_multiplier": 2}]})", 1.0);
    row("max pool",
        R"({"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3},
           {"type": "max_pool2d", "name": "p", "kernel": 3, "stride": 2, "padding": "same"}]})",
        1.0);
    row("average pool", // the "class" of 294 pooled outputs is mostly ties
        R"({"type": "conv2d", "name": "c", "out_channels": 6, "kernel": 3},
           {"type": "avg_pool2d", "name": "p", "kernel": 3, "stride": 1, "padding": "same"}]})",
        0.9);
    row("flatten, dense", R"({"type": "flatten", "name": "f"}, {"type": "dense", "name": "d", "units": 10}]})", 1.0);
    QTest::newRow("conv, depthwise x2, pools, dense") << QString(convPool) << 1 << 2 << 0.97;
    QTest::newRow("residual adds, explicit padding") << QString(residual) << 2 << 2 << 0.99;
    QTest::newRow("low_rank and kronecker (expanded)") << QString(factor) << 4 << 2 << 0.96;
}

} // namespace psc::test
