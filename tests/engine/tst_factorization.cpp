// SPDX-License-Identifier: GPL-3.0-or-later
// factorizeLayer(): truncated SVD (full rank reproduces the layer; the rank-k error is the discarded singular
// values, Eckart-Young) and the nearest Kronecker product (an exact A kron B comes back), and bad requests.

#include "psc/compress/factorization.h"

#include "psc/core/error.h"
#include "psc/net/networkparser.h"

#include "testsupport.h"

#include <QTest>

#include <cmath>
#include <functional>
#include <random>

using namespace psc;
using psc::test::errorOf;

namespace {

using Matrix = std::vector<double>; // row-major

Matrix randomMatrix(int rows, int cols, std::mt19937 &rng)
{
    std::normal_distribution<double> normal;
    Matrix m(std::size_t(rows) * std::size_t(cols));
    for (double &x : m)
        x = normal(rng);
    return m;
}

Matrix multiply(const Matrix &a, const Matrix &b, int rows, int inner, int cols)
{
    Matrix c(std::size_t(rows) * std::size_t(cols), 0.0);
    for (int i = 0; i < rows; ++i)
        for (int k = 0; k < inner; ++k)
            for (int j = 0; j < cols; ++j)
                c[std::size_t(i * cols + j)] += a[std::size_t(i * inner + k)] * b[std::size_t(k * cols + j)];
    return c;
}

Matrix kron(const Matrix &a, int o1, int i1, const Matrix &b, int o2, int i2)
{
    Matrix w(std::size_t(o1 * o2) * std::size_t(i1 * i2));
    for (int p = 0; p < o1; ++p)
        for (int q = 0; q < o2; ++q)
            for (int s = 0; s < i1; ++s)
                for (int t = 0; t < i2; ++t)
                    w[std::size_t((p * o2 + q) * (i1 * i2) + s * i2 + t)] =
                        a[std::size_t(p * i1 + s)] * b[std::size_t(q * i2 + t)];
    return w;
}

/** Columns of a random Gaussian matrix made orthonormal (Gram-Schmidt twice): rows x cols, rows >= cols. */
Matrix orthonormalColumns(int rows, int cols, std::mt19937 &rng)
{
    Matrix q = randomMatrix(rows, cols, rng);
    for (int j = 0; j < cols; ++j) {
        for (int pass = 0; pass < 2; ++pass) {
            for (int k = 0; k < j; ++k) {
                double dot = 0.0;
                for (int i = 0; i < rows; ++i)
                    dot += q[std::size_t(i * cols + j)] * q[std::size_t(i * cols + k)];
                for (int i = 0; i < rows; ++i)
                    q[std::size_t(i * cols + j)] -= dot * q[std::size_t(i * cols + k)];
            }
        }
        double norm = 0.0;
        for (int i = 0; i < rows; ++i)
            norm += q[std::size_t(i * cols + j)] * q[std::size_t(i * cols + j)];
        for (int i = 0; i < rows; ++i)
            q[std::size_t(i * cols + j)] /= std::sqrt(norm);
    }
    return q;
}

double frobenius(const Matrix &a, const Matrix &b)
{
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        sum += (a[i] - b[i]) * (a[i] - b[i]);
    return std::sqrt(sum);
}

Matrix values(const FloatTensor &t)
{
    return Matrix(t.values.begin(), t.values.end());
}

FloatTensor tensor(std::vector<int> shape, const Matrix &m)
{
    return FloatTensor{std::move(shape), std::vector<float>(m.begin(), m.end())};
}

/** A dense layer "fc" of `out` units on `in` inputs with weights `w` and a bias, then a relu'd dense "next". */
TrainedModel denseModel(int in, int out, const Matrix &w)
{
    TrainedModel m;
    m.network = parseNetworkJson(R"({"name": "d", "input": {"channels": )" + std::to_string(in) +
                                     R"(, "height": 1, "width": 1}, "layers": [
        {"type": "dense", "name": "fc", "units": )" +
                                     std::to_string(out) +
                                     R"(, "activation": "relu", "weight_bits": 4, "activation_bits": 6},
        {"type": "dense", "name": "next", "units": 2}]})",
                                 "dense model");
    m.parameters["fc"].weight = tensor({out, in}, w);
    for (int o = 0; o < out; ++o)
        m.parameters["fc"].bias.values.push_back(0.1f * float(o));
    m.parameters["fc"].bias.shape = {out};
    m.parameters["next"].weight = tensor({2, out}, Matrix(std::size_t(2 * out), 0.5));
    m.ranges = {{"fc", {0.0f, 4.0f}}, {"next", {-1.0f, 1.0f}}, {"fc:mid", {-9.0f, 9.0f}}};
    return m;
}

/** U (V x) + b for a factorised model's layer `name`, V x computed first, as the layer runs. */
Matrix lowRankOutput(const LayerParameters &p, const Matrix &x)
{
    const int out = p.weight.shape[0], rank = p.weight.shape[1], in = p.factor.shape[1];
    const Matrix mid = multiply(values(p.factor), x, rank, in, 1);
    Matrix y = multiply(values(p.weight), mid, out, rank, 1);
    for (int o = 0; o < out; ++o)
        y[std::size_t(o)] += p.bias.values[std::size_t(o)];
    return y;
}

} // namespace

class TestFactorization : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fullRankReproducesTheDenseLayer();
    void fullRankPointwiseConvolution();
    void truncationErrorIsTheDiscardedSingularValues_data();
    void truncationErrorIsTheDiscardedSingularValues();
    void exactKroneckerProductIsRecovered();
    void nearestKroneckerProductBeatsTheGenerator();
    void rankDeficientWeights();
    void refusesBadRequests();
};

void TestFactorization::fullRankReproducesTheDenseLayer()
{
    std::mt19937 rng(1);
    const int in = 9, out = 6;
    const Matrix w = randomMatrix(out, in, rng);
    const TrainedModel m = denseModel(in, out, w);
    const TrainedModel f = factorizeLayer(m, "fc", {Factorization::Kind::LowRank, 6});

    const LayerSpec &l = f.network.layers[0];
    QVERIFY(l.type == LayerType::LowRank);
    QCOMPARE(l.name, std::string("fc"));
    QCOMPARE(l.outChannels, out);
    QCOMPARE(l.rank, 6);
    QVERIFY(l.activation == Activation::Relu);
    QCOMPARE(l.weightBits, 4);
    QCOMPARE(l.activationBits, 6);
    QVERIFY(l.bias);
    QCOMPARE(l.inputs, std::vector<std::string>{"input"});
    QVERIFY(f.network.layers[1] == m.network.layers[1]);
    const LayerParameters &p = f.parameters.at("fc");
    QCOMPARE(p.weight.shape, (std::vector<int>{6, 6}));
    QCOMPARE(p.factor.shape, (std::vector<int>{6, 9}));
    QVERIFY(p.bias == m.parameters.at("fc").bias);
    QVERIFY(f.parameters.at("next") == m.parameters.at("next"));
    // The intermediate's range belongs to the old factors: calibration sets it again.
    QCOMPARE(f.ranges.count("fc:mid"), std::size_t(0));
    QCOMPARE(f.ranges.count("fc"), std::size_t(1));

    const Matrix product = multiply(values(p.weight), values(p.factor), out, 6, in);
    QVERIFY2(frobenius(product, w) < 1e-4, std::to_string(frobenius(product, w)).c_str());
    for (int n = 0; n < 20; ++n) {
        const Matrix x = randomMatrix(in, 1, rng);
        Matrix dense = multiply(w, x, out, in, 1);
        for (int o = 0; o < out; ++o)
            dense[std::size_t(o)] += 0.1 * o;
        const Matrix factored = lowRankOutput(p, x);
        for (int o = 0; o < out; ++o)
            QVERIFY(std::abs(dense[std::size_t(o)] - factored[std::size_t(o)]) < 1e-4);
    }
}

void TestFactorization::fullRankPointwiseConvolution()
{
    std::mt19937 rng(2);
    TrainedModel m;
    m.network = parseNetworkJson(R"({"input": {"channels": 4, "height": 3, "width": 3}, "layers": [
        {"type": "conv2d", "name": "pw", "out_channels": 7, "kernel": 1, "padding": "same", "bias": false},
        {"type": "global_avg_pool", "name": "gap"}]})",
                                 "conv model");
    const Matrix w = randomMatrix(7, 4, rng);
    m.parameters["pw"].weight = tensor({7, 4, 1, 1}, w);
    const TrainedModel f = factorizeLayer(m, "pw", {Factorization::Kind::LowRank, 4});
    const LayerSpec &l = f.network.layers[0];
    QVERIFY(l.type == LayerType::LowRank);
    QCOMPARE(l.outChannels, 7);
    QVERIFY(!l.bias);
    const LayerParameters &p = f.parameters.at("pw");
    QCOMPARE(p.weight.shape, (std::vector<int>{7, 4})); // a tall W: full rank is min(7, 4) = 4
    QCOMPARE(p.factor.shape, (std::vector<int>{4, 4}));
    QVERIFY(p.bias.values.empty());
    QVERIFY(frobenius(multiply(values(p.weight), values(p.factor), 7, 4, 4), w) < 1e-4);
}

void TestFactorization::truncationErrorIsTheDiscardedSingularValues_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::newRow("wide 5x8") << 5 << 8;
    QTest::newRow("tall 8x5") << 8 << 5;
    QTest::newRow("square 5x5") << 5 << 5;
}

void TestFactorization::truncationErrorIsTheDiscardedSingularValues()
{
    // W = P diag(sigma) Q^T with orthonormal P, Q: the best rank-k approximation misses exactly
    // sqrt(sigma_{k+1}^2 + ... + sigma_5^2) in the Frobenius norm (Eckart-Young).
    QFETCH(int, rows);
    QFETCH(int, cols);
    std::mt19937 rng(std::uint32_t(rows * 10 + cols));
    const std::vector<double> sigma = {5.0, 3.0, 2.0, 1.0, 0.5};
    const Matrix p = orthonormalColumns(rows, 5, rng), q = orthonormalColumns(cols, 5, rng);
    Matrix w(std::size_t(rows) * std::size_t(cols), 0.0);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
            for (int k = 0; k < 5; ++k)
                w[std::size_t(i * cols + j)] +=
                    p[std::size_t(i * 5 + k)] * sigma[std::size_t(k)] * q[std::size_t(j * 5 + k)];
    const TrainedModel m = denseModel(cols, rows, w);
    for (int rank = 1; rank <= 5; ++rank) {
        const TrainedModel f = factorizeLayer(m, "fc", {Factorization::Kind::LowRank, rank});
        const LayerParameters &lp = f.parameters.at("fc");
        const Matrix approx = multiply(values(lp.weight), values(lp.factor), rows, rank, cols);
        double discarded = 0.0;
        for (std::size_t k = std::size_t(rank); k < sigma.size(); ++k)
            discarded += sigma[k] * sigma[k];
        const double error = frobenius(approx, w);
        QVERIFY2(std::abs(error - std::sqrt(discarded)) < 1e-4,
                 ("rank " + std::to_string(rank) + ": error " + std::to_string(error) + ", expected " +
                  std::to_string(std::sqrt(discarded)))
                     .c_str());
        // The balanced split: column j of U and row j of V both have norm sqrt(sigma_j).
        double uNorm = 0.0, vNorm = 0.0;
        for (int i = 0; i < rows; ++i)
            uNorm += lp.weight.values[std::size_t(i * rank)] * lp.weight.values[std::size_t(i * rank)];
        for (int i = 0; i < cols; ++i)
            vNorm += lp.factor.values[std::size_t(i)] * lp.factor.values[std::size_t(i)];
        QVERIFY(std::abs(uNorm - 5.0) < 1e-4 && std::abs(vNorm - 5.0) < 1e-4);
    }
}

void TestFactorization::exactKroneckerProductIsRecovered()
{
    std::mt19937 rng(3);
    const Matrix a = randomMatrix(2, 3, rng), b = randomMatrix(3, 4, rng);
    const Matrix w = kron(a, 2, 3, b, 3, 4); // [6, 12]
    const TrainedModel m = denseModel(12, 6, w);
    Factorization f{Factorization::Kind::Kronecker};
    f.aOut = 2;
    f.aIn = 3;
    const TrainedModel k = factorizeLayer(m, "fc", f);
    const LayerSpec &l = k.network.layers[0];
    QVERIFY(l.type == LayerType::Kronecker);
    QVERIFY(l.kronA == (FactorShape{2, 3}));
    QVERIFY(l.kronB == (FactorShape{3, 4}));
    const LayerParameters &p = k.parameters.at("fc");
    QCOMPARE(p.weight.shape, (std::vector<int>{2, 3}));
    QCOMPARE(p.factor.shape, (std::vector<int>{3, 4}));
    QVERIFY(frobenius(kron(values(p.weight), 2, 3, values(p.factor), 3, 4), w) < 1e-4);
    // A and B come back up to one scale factor c: A' = c A, B' = B / c.
    const double c = p.weight.values[0] / a[0];
    for (std::size_t i = 0; i < a.size(); ++i)
        QVERIFY(std::abs(p.weight.values[i] - c * a[i]) < 1e-4);
    for (std::size_t i = 0; i < b.size(); ++i)
        QVERIFY(std::abs(p.factor.values[i] - b[i] / c) < 1e-4);
}

void TestFactorization::nearestKroneckerProductBeatsTheGenerator()
{
    // For W = A kron B + noise, the nearest Kronecker product is at least as close to W as A kron B itself.
    std::mt19937 rng(4);
    const Matrix a = randomMatrix(3, 2, rng), b = randomMatrix(2, 5, rng);
    Matrix w = kron(a, 3, 2, b, 2, 5);
    const Matrix noise = randomMatrix(6, 10, rng);
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] += 0.3 * noise[i];
    Factorization f{Factorization::Kind::Kronecker};
    f.aOut = 3;
    f.aIn = 2;
    const LayerParameters p = factorizeLayer(denseModel(10, 6, w), "fc", f).parameters.at("fc");
    const double nearest = frobenius(kron(values(p.weight), 3, 2, values(p.factor), 2, 5), w);
    const double generator = frobenius(kron(a, 3, 2, b, 2, 5), w);
    QVERIFY2(nearest <= generator + 1e-6, (std::to_string(nearest) + " vs " + std::to_string(generator)).c_str());
    QVERIFY(nearest > 0.1); // the noise is not a Kronecker product
}

void TestFactorization::rankDeficientWeights()
{
    // A rank-2 W (and an all-zero one) factorise at a higher rank without NaNs; the product is still W.
    std::mt19937 rng(5);
    const Matrix w = multiply(randomMatrix(6, 2, rng), randomMatrix(2, 8, rng), 6, 2, 8);
    const LayerParameters p =
        factorizeLayer(denseModel(8, 6, w), "fc", {Factorization::Kind::LowRank, 5}).parameters.at("fc");
    for (float x : p.weight.values)
        QVERIFY(std::isfinite(x));
    QVERIFY(frobenius(multiply(values(p.weight), values(p.factor), 6, 5, 8), w) < 1e-4);
    const LayerParameters zero =
        factorizeLayer(denseModel(8, 6, Matrix(48, 0.0)), "fc", {Factorization::Kind::LowRank, 3}).parameters.at("fc");
    for (float x : zero.weight.values)
        QCOMPARE(x, 0.0f);
}

void TestFactorization::refusesBadRequests()
{
    std::mt19937 rng(6);
    const TrainedModel m = denseModel(9, 6, randomMatrix(6, 9, rng));
    const Factorization full{Factorization::Kind::LowRank, 6};
    QVERIFY(factorizeLayer(m, "fc", Factorization{}) == m);
    QCOMPARE(errorOf([&] { factorizeLayer(m, "fc2", full); }),
             std::string("factorising layer \"fc2\": no layer of that name in network \"d\""));
    QCOMPARE(errorOf([&] {
                 factorizeLayer(m, "fc", {Factorization::Kind::LowRank, 7});
             }),
             std::string("factorising layer \"fc\": rank 7 must be between 1 and min(in, out) = 6"));
    QCOMPARE(errorOf([&] {
                 factorizeLayer(m, "fc", {Factorization::Kind::LowRank, 0});
             }),
             std::string("factorising layer \"fc\": rank 0 must be between 1 and min(in, out) = 6"));
    Factorization k{Factorization::Kind::Kronecker};
    k.aOut = 4;
    k.aIn = 3;
    QCOMPARE(errorOf([&] { factorizeLayer(m, "fc", k); }),
             std::string("factorising layer \"fc\": Kronecker factor A [4, 3] must divide the weight shape [6, 9]"));

    TrainedModel bad = m;
    bad.parameters.erase("fc");
    QCOMPARE(errorOf([&] { factorizeLayer(bad, "fc", full); }),
             std::string("factorising layer \"fc\": no trained parameters"));
    bad = m;
    bad.parameters["fc"].weight.shape = {9, 6};
    QCOMPARE(errorOf([&] { factorizeLayer(bad, "fc", full); }),
             std::string("factorising layer \"fc\": weight shape 9x6 does not match the layer, expected 6x9"));
    bad = m;
    bad.network.layers[0].weightBits = 1;
    QCOMPARE(errorOf([&] { factorizeLayer(bad, "fc", full); }),
             std::string("factorising layer \"fc\": binary (1-bit) weights cannot be factorised"));

    TrainedModel conv;
    conv.network = parseNetworkJson(R"({"name": "c", "input": {"channels": 2, "height": 4, "width": 4}, "layers": [
        {"type": "conv2d", "name": "k3", "out_channels": 2, "kernel": 3, "padding": "same"},
        {"type": "depthwise_conv2d", "name": "dw", "kernel": 1},
        {"type": "conv2d", "name": "s2", "out_channels": 2, "kernel": 1, "stride": 2}]})",
                                    "conv");
    QCOMPARE(errorOf([&] { factorizeLayer(conv, "k3", full); }),
             std::string("factorising layer \"k3\": it is a conv2d with a kernel, stride or padding other than 1x1, "
                         "1, none; only dense and 1x1, stride-1 conv2d layers can be factorised"));
    QCOMPARE(errorOf([&] { factorizeLayer(conv, "dw", full); }),
             std::string("factorising layer \"dw\": it is a depthwise_conv2d; only dense and 1x1, stride-1 conv2d "
                         "layers can be factorised"));
    QVERIFY(errorOf([&] { factorizeLayer(conv, "s2", full); }).find("other than 1x1") != std::string::npos);
}

QTEST_APPLESS_MAIN(TestFactorization)
#include "tst_factorization.moc"
