using Wuerstchen.Data;
using Wuerstchen.IO.Png;

namespace Wuerstchen.Tests.Data;

public class ImagePreprocessorTests
{
    [Theory]
    [InlineData(100, 200, 64, 64, 128)]
    [InlineData(200, 100, 64, 128, 64)]
    [InlineData(480, 640, 64, 64, 85)] // 64·640/480 = 85.33, truncated as torchvision does
    [InlineData(64, 64, 64, 64, 64)]
    [InlineData(30, 31, 64, 64, 66)]
    public void Resized_size_follows_torchvision(int h, int w, int s, int eh, int ew) =>
        Assert.Equal((eh, ew), ImagePreprocessor.ResizedSize(h, w, s));

    [Theory]
    [InlineData(66, 64, 1, 0)]
    [InlineData(65, 64, 0, 0)]  // (65 − 64)/2 = 0.5 rounds to even: 0
    [InlineData(67, 64, 2, 0)]  // 1.5 rounds to 2
    [InlineData(64, 85, 0, 10)] // 10.5 rounds to 10
    public void Centre_crop_rounds_half_to_even(int h, int w, int top, int left) =>
        Assert.Equal((top, left), ImagePreprocessor.CropOffsets(h, w, 64, CropMode.Center, default));

    [Fact]
    public void Random_crop_maps_fractions_onto_every_offset()
    {
        Assert.Equal((0, 0), ImagePreprocessor.CropOffsets(70, 80, 64, CropMode.Random, new SampleAugmentation(false, 0, 0)));
        Assert.Equal((6, 16), ImagePreprocessor.CropOffsets(70, 80, 64, CropMode.Random, new SampleAugmentation(false, 0.9999, 0.9999)));
        Assert.Equal((3, 8), ImagePreprocessor.CropOffsets(70, 80, 64, CropMode.Random, new SampleAugmentation(false, 0.5, 0.5)));
    }

    [Fact]
    public void Crops_flips_and_scales_without_resizing_when_the_shorter_side_fits()
    {
        // 8 wide, 6 high RGB image with sample value = 10·x + y + 40·c; S = 6 → crop columns 1..6 (centre).
        var image = new Image(8, 6, 3);
        for (int y = 0; y < 6; y++) for (int x = 0; x < 8; x++) for (int c = 0; c < 3; c++) image[x, y, c] = (ushort)(10 * x + y + 40 * c);
        var output = new float[3 * 36];
        ImagePreprocessor.Process(image, 6, CropMode.Center, default, PixelRange.ZeroToOne, output);
        Assert.Equal((10 * 1 + 2 + 40 * 2) / 255f, output[(2 * 6 + 2) * 6 + 0]);
        ImagePreprocessor.Process(image, 6, CropMode.Center, new SampleAugmentation(true, 0, 0), PixelRange.MinusOneToOne, output);
        Assert.Equal(2 * ((10 * 6 + 3 + 40 * 1) / 255f) - 1, output[(1 * 6 + 3) * 6 + 0], 6); // flipped: column 0 ← source column 6
    }

    [Fact]
    public void Grey_is_replicated_and_alpha_dropped()
    {
        var grey = new Image(2, 1, 2, 16, [0, 65535, 65535, 0]); // grey+alpha, 16-bit
        var planes = ImagePreprocessor.RgbPlanes(grey);
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 1f], planes);
        var rgba = new Image(1, 1, 4, 8, [255, 0, 51, 0]);
        Assert.Equal([1f, 0f, 0.2f], ImagePreprocessor.RgbPlanes(rgba));
    }

    [Fact]
    public void Larger_images_are_resized_with_antialiasing_before_cropping()
    {
        // A 2-pixel checkerboard shrunk 4× must average to grey (plain bilinear sampling would alias).
        var image = new Image(32, 24, 1);
        for (int y = 0; y < 24; y++) for (int x = 0; x < 32; x++) image[x, y, 0] = (ushort)(((x + y) & 1) * 255);
        var output = new float[3 * 36];
        ImagePreprocessor.Process(image, 6, CropMode.Center, default, PixelRange.ZeroToOne, output);
        Assert.All(output, v => Assert.InRange(v, 0.45f, 0.55f));
    }
}
