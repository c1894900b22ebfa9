// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace psc {

/** Images as unsigned bytes, N x C x H x W, with one class label per image. */
struct ImageSet
{
    int count = 0;
    int channels = 0;
    int height = 0;
    int width = 0;
    std::vector<std::uint8_t> pixels;
    std::vector<std::uint8_t> labels;

    std::size_t imageSize() const { return std::size_t(channels) * height * width; }
};

/** A classification task: training and test images. The validation split is taken from `train`. */
struct Dataset
{
    std::string name;
    int numClasses = 0;
    ImageSet train;
    ImageSet test;
};

/** The directory the Debian package dataset-fashion-mnist installs, or $PSC_FASHION_MNIST_DIR if set. */
std::filesystem::path defaultFashionMnistDir();

/**
 * Reads one IDX file, gzip-compressed or not (images: magic 0x803, labels: magic 0x801).
 * Throws InputError naming the file and what was wrong.
 */
ImageSet readIdxImages(const std::filesystem::path &images, const std::filesystem::path &labels);

/**
 * Loads Fashion-MNIST (train-images-idx3-ubyte.gz, ... as shipped by the Debian package) from `dir`.
 * Throws InputError if a file is missing or malformed. Thread-safe; no caching here.
 */
Dataset loadFashionMnist(const std::filesystem::path &dir);

} // namespace psc
