using System.Text;
using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;
using Wuerstchen.IO.Png;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Data.Shapes;

public class ShapesDatasetWriterTests
{
    [Fact]
    public void Writes_png_caption_and_metadata_for_every_sample()
    {
        using var temp = new TempFolder();
        var folder = temp.File("shapes");
        var summary = ShapesDatasetWriter.Write(folder, count: 70, size: 32, seed: 42);
        Assert.Equal(70, summary.Count);

        var files = Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(70 * 2 + 1, files.Length);
        Assert.Contains(ShapesDatasetWriter.MetadataFileName, files);
        Assert.DoesNotContain(files, f => f!.EndsWith(".tmp", StringComparison.Ordinal));

        var metadata = ShapesMetadata.ReadAll(Path.Combine(folder, ShapesDatasetWriter.MetadataFileName));
        Assert.Equal(70, metadata.Count);
        var sampler = new ShapeSceneSampler();
        foreach (int i in new[] { 0, 1, 63, 64, 69 }) // both sides of a generation chunk boundary
        {
            var expected = ShapesSample.Generate(42, i, sampler);
            var record = metadata[i];
            Assert.Equal($"{i:D6}.png", record.FileName);
            Assert.Equal(expected.Caption, record.Text);
            Assert.Equal(expected.Caption, File.ReadAllText(Path.Combine(folder, $"{i:D6}.txt"), Encoding.UTF8));
            Assert.Equal(ShapesMetadata.Of(expected, record.FileName), record);

            // The PNG holds the rendered image, quantised as diffusers saves images.
            var png = PngFile.Read(Path.Combine(folder, record.FileName)).Image;
            using var render = ShapeRasterizer.Render(expected.Scene, 32);
            Assert.Equal(ImageTensors.FromTensor(render)[0].Samples, png.Samples);
            Assert.Equal((32, 32, 3, 8), (png.Width, png.Height, png.Channels, png.BitDepth));
        }
    }

    [Fact]
    public void A_written_dataset_loads_as_an_image_caption_dataset()
    {
        using var temp = new TempFolder();
        ShapesDatasetWriter.Write(temp.Path, count: 9, size: 16, seed: 3);
        var dataset = ImageCaptionDataset.Open(temp.Path, new ImageCaptionDatasetOptions { Resolution = 16, Shuffle = false });
        Assert.Equal(9, dataset.Count);
        var sampler = new ShapeSceneSampler();
        using var batch = new CaptionBatchLoader(dataset, 9).Epoch(0).Single();
        for (int i = 0; i < 9; i++)
        {
            var sample = ShapesSample.Generate(3, i, sampler);
            Assert.Equal(sample.Caption, batch.Captions[i]);
            // [−1, 1] tensors of the stored 8-bit pixels.
            using var render = ShapeRasterizer.Render(sample.Scene, 16);
            var stored = ImageTensors.FromTensor(render)[0].Samples;
            Assert.Equal(2f * (stored[(5 * 16 + 7) * 3 + 1] / 255f) - 1f, batch.Images![i, 1, 5, 7]);
        }
    }

    [Fact]
    public void Refuses_a_folder_that_is_not_empty()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("stale.txt"), "old");
        var error = Assert.Throws<IOException>(() => ShapesDatasetWriter.Write(temp.Path, 3, 32, 1));
        Assert.Contains(temp.Path, error.Message);
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Metadata_round_trips_every_attribute()
    {
        var sampler = new ShapeSceneSampler();
        for (int i = 0; i < 200; i++)
        {
            var sample = ShapesSample.Generate(7, i, sampler);
            var line = ShapesMetadata.ToJsonLine(sample, "x.png");
            Assert.Equal(ShapesMetadata.Of(sample, "x.png"), ShapesMetadata.Parse(line, "test"));
        }
        var bad = Assert.Throws<InvalidDataException>(() => ShapesMetadata.Parse("{\"file_name\": \"a.png\"}", "meta.jsonl:3"));
        Assert.Contains("meta.jsonl:3", bad.Message);
    }
}
