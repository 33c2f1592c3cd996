// I420Frame: one raw picture in planar YUV 4:2:0 (the layout libvpx and x264 take as input).
// The test source allocates one and redraws it for every frame, so steady state allocates nothing.
#pragma once

#include <cstdint>
#include <vector>

namespace throng::media {

// Plane strides equal the plane widths: `width` for Y, `width / 2` for U and V. Width and height
// are even so that the chroma planes cover the picture exactly.
struct I420Frame {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> y;
  std::vector<std::uint8_t> u;
  std::vector<std::uint8_t> v;

  // Sizes the planes for `frame_width` x `frame_height` (both even, > 0); keeps the buffers'
  // capacity, so calling it again with the same size does not allocate.
  void allocate(int frame_width, int frame_height) {
    width = frame_width;
    height = frame_height;
    const auto luma =
        static_cast<std::size_t>(frame_width) * static_cast<std::size_t>(frame_height);
    y.resize(luma);
    u.resize(luma / 4);
    v.resize(luma / 4);
  }

  // True when the planes are as large as width x height needs (an encoder's precondition).
  bool hasPlanes() const {
    const auto luma = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    return width > 0 && height > 0 && y.size() == luma && u.size() == luma / 4 &&
           v.size() == luma / 4;
  }

  int chromaWidth() const { return width / 2; }
  int chromaHeight() const { return height / 2; }
};

}  // namespace throng::media
