using Wuerstchen.Data;
using Wuerstchen.IO.Png;

namespace Wuerstchen.Tests.Data;

public class ImageCaptionDatasetTests
{
    private static ImageCaptionDatasetOptions Options(SampleErrorPolicy policy, List<string>? log = null) => new()
    {
        Resolution = 8,
        Range = PixelRange.ZeroToOne,
        OnError = policy,
        Seed = 5,
        Log = m => log?.Add(m),
    };

    [Fact]
    public void Captions_come_from_txt_files_then_from_manifests()
    {
        using var folder = new DatasetFolder();
        folder.AddImage("a", 0, "  from txt \n");
        folder.AddImage("b", 0, null);
        folder.AddImage("c", 0, null);
        folder.Write("metadata.jsonl", "{\"file_name\": \"a.png\", \"text\": \"ignored, txt wins\"}\n\n{\"file_name\": \"b.png\", \"text\": \"from metadata\"}\n");
        folder.Write("captions.jsonl", "{\"file\": \"b.png\", \"caption\": \"first manifest wins\"}\n{\"file\": \"c.png\", \"caption\": \"from captions\"}\n");
        var dataset = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop));
        Assert.Equal(["a", "b", "c"], dataset.Entries.Select(e => e.Id));
        Assert.Equal(["from txt", "from metadata", "from captions"], dataset.Entries.Select(e => e.Caption));
        Assert.Empty(dataset.Skipped);
    }

    [Theory]
    [InlineData("missing caption")]
    [InlineData("empty caption")]
    [InlineData("jpeg")]
    [InlineData("bad manifest")]
    public void Broken_samples_stop_with_the_file_named(string problem)
    {
        using var folder = DatasetFolder.WithImages(3);
        string expectedFile = MakeProblem(folder, problem);
        var error = Assert.Throws<DatasetSampleException>(() => ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop)));
        Assert.Equal(expectedFile, error.FilePath);
        Assert.StartsWith(expectedFile + ": ", error.Message);
    }

    [Theory]
    [InlineData("missing caption")]
    [InlineData("empty caption")]
    [InlineData("jpeg")]
    [InlineData("bad manifest")]
    public void Broken_samples_are_skipped_and_logged(string problem)
    {
        using var folder = DatasetFolder.WithImages(3);
        string expectedFile = MakeProblem(folder, problem);
        var log = new List<string>();
        var dataset = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Skip, log));
        Assert.Equal(["000", "001", "002"], dataset.Entries.Select(e => e.Id));
        var skipped = Assert.Single(dataset.Skipped);
        Assert.Equal(expectedFile, skipped.FilePath);
        Assert.Contains(expectedFile, Assert.Single(log));
    }

    private static string MakeProblem(DatasetFolder folder, string problem)
    {
        switch (problem)
        {
            case "missing caption": return folder.AddImage("zz", 0, null);
            case "empty caption": return folder.AddImage("zz", 0, " \n ");
            case "jpeg": folder.Write("photo.jpg", "not decoded"); return folder.File("photo.jpg");
            case "bad manifest": folder.Write("metadata.jsonl", "{\"file_name\": \"000.png\", \"text\": \"ok\"}\n{\"text\": \"no file\"}\n"); return folder.File("metadata.jsonl") + ":2";
            default: throw new ArgumentException(problem);
        }
    }

    [Fact]
    public void A_folder_without_usable_samples_is_an_error()
    {
        using var folder = new DatasetFolder();
        folder.AddImage("a", 0, null);
        Assert.Throws<InvalidDataException>(() => ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Skip)));
        Assert.Throws<DirectoryNotFoundException>(() => ImageCaptionDataset.Open(folder.File("nope"), Options(SampleErrorPolicy.Skip)));
    }

    [Fact]
    public void Epoch_orders_are_seeded_permutations()
    {
        using var folder = DatasetFolder.WithImages(12);
        var dataset = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop));
        var again = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop));
        var other = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop) with { Seed = 6 });
        var e0 = dataset.EpochOrder(0);
        Assert.Equal(Enumerable.Range(0, 12), e0.Order());
        Assert.Equal(e0, again.EpochOrder(0));
        Assert.NotEqual(e0, dataset.EpochOrder(1));
        Assert.NotEqual(e0, other.EpochOrder(0));
        var unshuffled = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop) with { Shuffle = false });
        Assert.Equal(Enumerable.Range(0, 12), unshuffled.EpochOrder(3));
    }

    [Fact]
    public void Batches_follow_the_epoch_order_with_each_samples_augmentation()
    {
        using var folder = DatasetFolder.WithImages(10);
        var dataset = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop) with { RandomFlip = true });
        var loader = new CaptionBatchLoader(dataset, batchSize: 4, dropLast: false);
        var batches = loader.Epoch(1).ToList();
        Assert.Equal([4, 4, 2], batches.Select(b => b.Count));
        Assert.Equal(dataset.EpochOrder(1), batches.SelectMany(b => b.Indices));
        Assert.Contains(true, batches.SelectMany(b => b.Flipped));
        Assert.Contains(false, batches.SelectMany(b => b.Flipped));
        foreach (var batch in batches)
        {
            for (int k = 0; k < batch.Count; k++)
            {
                int index = batch.Indices[k];
                Assert.Equal($"caption {index}", batch.Captions[k]);
                Assert.Equal(dataset.Entries[index].Id, batch.Ids[k]);
                var augmentation = dataset.Augmentation(1, index);
                Assert.Equal(augmentation.Flip, batch.Flipped[k]);
                using var expected = dataset.LoadImage(index, augmentation);
                using var actual = batch.Images!.Select(0, k).Contiguous();
                Assert.Equal(expected.ToArray(), actual.ToArray());
                // Pixel (x, y) of image i holds (10·i + x)/255 in red; a flip mirrors x.
                float left = (10 * index + (augmentation.Flip ? 7 : 0)) / 255f;
                Assert.Equal(left, actual[0, 3, 0]);
            }
            batch.Dispose();
        }
        Assert.Equal(2, new CaptionBatchLoader(dataset, 4).Epoch(1).Count()); // dropLast
        Assert.Equal(2, new CaptionBatchLoader(dataset, 4).BatchesPerEpoch);
    }

    [Fact]
    public void Resuming_skips_whole_batches_without_changing_the_rest()
    {
        using var folder = DatasetFolder.WithImages(9);
        var dataset = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop));
        var loader = new CaptionBatchLoader(dataset, 2);
        var all = loader.Epoch(4).Select(b => b.Indices.ToArray()).ToList();
        var resumed = loader.Epoch(4, skipBatches: 2).Select(b => b.Indices.ToArray()).ToList();
        Assert.Equal(all.Skip(2), resumed);
    }

    [Fact]
    public void Undecodable_image_stops_the_loader_with_the_file_named()
    {
        using var folder = DatasetFolder.WithImages(5);
        folder.Write("002.png", "not a png");
        var dataset = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Stop));
        var loader = new CaptionBatchLoader(dataset, 5);
        var error = Assert.Throws<DatasetSampleException>(() => loader.Epoch(0).ToList());
        Assert.Equal(folder.File("002.png"), error.FilePath);
    }

    [Fact]
    public void Undecodable_image_is_skipped_once_and_replaced_by_the_next_sample()
    {
        using var folder = DatasetFolder.WithImages(7);
        folder.Write("002.png", "not a png");
        var log = new List<string>();
        var dataset = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Skip, log) with { Shuffle = false });
        var loader = new CaptionBatchLoader(dataset, 3);
        var epoch0 = loader.Epoch(0).Select(b => b.Indices.ToArray()).ToList();
        Assert.Equal([[0, 1, 3], [4, 5, 6]], epoch0);
        Assert.Equal(folder.File("002.png"), Assert.Single(dataset.Skipped).FilePath);
        Assert.Contains("002.png", Assert.Single(log));
        Assert.True(dataset.IsSkipped(2));
        Assert.Equal(2, loader.Epoch(1).Count()); // not retried, not logged again
        Assert.Single(log);
    }
}
