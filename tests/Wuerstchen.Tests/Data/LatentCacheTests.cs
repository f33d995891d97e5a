using Wuerstchen.Data;
using Wuerstchen.IO.Png;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Data;

public class LatentCacheTests
{
    /// <summary>A stand-in encoder: 2×2 average pooling, [B, 3, S, S] → [B, 3, S/2, S/2]; counts the images it sees.</summary>
    private sealed class PoolingEncoder
    {
        public int Images;

        public LatentEncoder As(string identity) => new(identity, Encode);

        public Tensor Encode(Tensor images)
        {
            int b = images.Size(0), c = images.Size(1), h = images.Size(2), w = images.Size(3);
            Images += b;
            var output = Tensor.Empty(b, c, h / 2, w / 2);
            var src = images.AsSpan();
            var dst = output.AsSpan();
            for (int p = 0; p < b * c; p++)
                for (int y = 0; y < h / 2; y++)
                    for (int x = 0; x < w / 2; x++)
                    {
                        int i = (p * h + 2 * y) * w + 2 * x;
                        dst[(p * (h / 2) + y) * (w / 2) + x] = (src[i] + src[i + 1] + src[i + w] + src[i + w + 1]) / 4;
                    }
            return output;
        }
    }

    private static ImageCaptionDatasetOptions Options(SampleErrorPolicy policy = SampleErrorPolicy.Stop) => new()
    {
        Resolution = 8,
        Range = PixelRange.MinusOneToOne,
        OnError = policy,
        Log = _ => { },
    };

    [Fact]
    public void Cached_latents_are_the_encoder_outputs_of_the_preprocessed_images()
    {
        using var folder = DatasetFolder.WithImages(7);
        using var cacheFolder = new DatasetFolder();
        var dataset = ImageCaptionDataset.Open(folder.Path, Options() with { RandomFlip = true });
        var encoder = new PoolingEncoder();
        using var cache = LatentCache.Build(dataset, cacheFolder.Path, encoder.As("pool-v1"), batchSize: 3, shardSize: 3);
        Assert.Equal(14, encoder.Images); // both orientations of every image
        Assert.Equal(3, cache.RebuiltShards);
        Assert.Equal(["latents-00000.safetensors", "latents-00001.safetensors", "latents-00002.safetensors"],
            Directory.GetFiles(cacheFolder.Path).Select(Path.GetFileName).Order());

        var reference = new PoolingEncoder();
        for (int i = 0; i < 7; i++)
        {
            foreach (bool flip in new[] { false, true })
            {
                using var image = dataset.LoadImage(i, new SampleAugmentation(flip, 0, 0));
                using var expected = reference.Encode(image.Reshape(1, 3, 8, 8));
                Assert.True(cache.TryGet(dataset.Entries[i].Id, flip, out var latent));
                using (latent) Assert.Equal(expected.ToArray(), latent.ToArray());
            }
        }
        Assert.False(cache.TryGet("nope", false, out _));
    }

    [Fact]
    public void A_matching_cache_is_reused_and_a_different_encoder_rebuilds_it()
    {
        using var folder = DatasetFolder.WithImages(5);
        using var cacheFolder = new DatasetFolder();
        var dataset = ImageCaptionDataset.Open(folder.Path, Options());
        var encoder = new PoolingEncoder();
        LatentCache.Build(dataset, cacheFolder.Path, encoder.As("pool-v1"), shardSize: 2).Dispose();
        Assert.Equal(5, encoder.Images);

        using (var reused = LatentCache.Build(dataset, cacheFolder.Path, encoder.As("pool-v1"), shardSize: 2))
            Assert.Equal(0, reused.RebuiltShards);
        Assert.Equal(5, encoder.Images);

        using (var rebuilt = LatentCache.Build(dataset, cacheFolder.Path, encoder.As("pool-v2"), shardSize: 2))
            Assert.Equal(3, rebuilt.RebuiltShards);
        Assert.Equal(10, encoder.Images);

        // Other preprocessing (resolution, range) or shard layout also invalidates.
        var otherRange = ImageCaptionDataset.Open(folder.Path, Options() with { Range = PixelRange.ZeroToOne });
        using (var rebuilt = LatentCache.Build(otherRange, cacheFolder.Path, encoder.As("pool-v2"), shardSize: 2))
            Assert.Equal(3, rebuilt.RebuiltShards);
    }

    [Fact]
    public void A_changed_image_rebuilds_only_its_shard_and_a_smaller_dataset_drops_stale_shards()
    {
        using var folder = DatasetFolder.WithImages(6);
        using var cacheFolder = new DatasetFolder();
        var encoder = new PoolingEncoder();
        LatentCache.Build(ImageCaptionDataset.Open(folder.Path, Options()), cacheFolder.Path, encoder.As("e"), shardSize: 2).Dispose();

        folder.AddImage("003", 200, "caption 3");
        File.SetLastWriteTimeUtc(folder.File("003.png"), DateTime.UtcNow.AddMinutes(1));
        var dataset = ImageCaptionDataset.Open(folder.Path, Options());
        using (var cache = LatentCache.Build(dataset, cacheFolder.Path, encoder.As("e"), shardSize: 2))
        {
            Assert.Equal(1, cache.RebuiltShards);
            using var image = dataset.LoadImage(3, default);
            using var expected = new PoolingEncoder().Encode(image.Reshape(1, 3, 8, 8));
            Assert.True(cache.TryGet("003", false, out var latent));
            using (latent) Assert.Equal(expected.ToArray(), latent.ToArray());
        }

        foreach (var stem in new[] { "004", "005" })
        {
            File.Delete(folder.File(stem + ".png"));
            File.Delete(folder.File(stem + ".txt"));
        }
        LatentCache.Build(ImageCaptionDataset.Open(folder.Path, Options()), cacheFolder.Path, encoder.As("e"), shardSize: 2).Dispose();
        Assert.Equal(2, Directory.GetFiles(cacheFolder.Path).Length);
    }

    [Fact]
    public void Random_crops_cannot_be_cached()
    {
        using var folder = DatasetFolder.WithImages(2);
        using var cacheFolder = new DatasetFolder();
        var dataset = ImageCaptionDataset.Open(folder.Path, Options() with { Crop = CropMode.Random });
        Assert.Throws<InvalidOperationException>(() => LatentCache.Build(dataset, cacheFolder.Path, new PoolingEncoder().As("e")));
    }

    [Fact]
    public void The_loader_serves_cached_latents_and_skips_images_that_could_not_be_encoded()
    {
        using var folder = DatasetFolder.WithImages(6);
        folder.Write("004.png", "broken");
        using var cacheFolder = new DatasetFolder();
        var stopping = ImageCaptionDataset.Open(folder.Path, Options());
        var error = Assert.Throws<DatasetSampleException>(() => LatentCache.Build(stopping, cacheFolder.Path, new PoolingEncoder().As("e")));
        Assert.Equal(folder.File("004.png"), error.FilePath);

        var dataset = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Skip));
        using var cache = LatentCache.Build(dataset, cacheFolder.Path, new PoolingEncoder().As("e"), shardSize: 4);
        Assert.True(dataset.IsSkipped(4));
        var loader = new CaptionBatchLoader(dataset, 5, latents: cache);
        var batch = Assert.Single(loader.Epoch(0));
        Assert.Null(batch.Images);
        Assert.Equal([5, 3, 4, 4], batch.Latents!.Shape.ToArray());
        Assert.DoesNotContain(4, batch.Indices);
        for (int k = 0; k < 5; k++)
        {
            Assert.True(cache.TryGet(batch.Ids[k], false, out var latent));
            using (latent) Assert.Equal(latent.ToArray(), batch.Latents.Select(0, k).ToArray());
        }
        batch.Dispose();

        // A fresh dataset object learns about the broken image from the reused cache.
        var reopened = ImageCaptionDataset.Open(folder.Path, Options(SampleErrorPolicy.Skip));
        using (var reused = LatentCache.Build(reopened, cacheFolder.Path, new PoolingEncoder().As("e"), shardSize: 4))
            Assert.Equal(0, reused.RebuiltShards);
        Assert.True(reopened.IsSkipped(4));
    }

    [Fact]
    public void Encoder_fingerprint_follows_file_contents_and_settings()
    {
        using var folder = new DatasetFolder();
        folder.Write("w.safetensors", "weights-1");
        string a = LatentEncoder.FingerprintFiles([folder.File("w.safetensors")], "scale=0.3764");
        Assert.StartsWith("sha256:", a);
        Assert.Equal(a, LatentEncoder.FingerprintFiles([folder.File("w.safetensors")], "scale=0.3764"));
        Assert.NotEqual(a, LatentEncoder.FingerprintFiles([folder.File("w.safetensors")], "scale=1"));
        folder.Write("w.safetensors", "weights-2");
        Assert.NotEqual(a, LatentEncoder.FingerprintFiles([folder.File("w.safetensors")], "scale=0.3764"));
        Assert.Throws<FileNotFoundException>(() => LatentEncoder.FingerprintFiles([folder.File("missing")]));
    }
}
