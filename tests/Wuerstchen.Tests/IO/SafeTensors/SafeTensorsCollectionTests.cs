using System.Text.Json;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.IO.SafeTensors;

public class SafeTensorsCollectionTests
{
    private static string PriorFolder => Reference.Path_("tiny-wuerstchen-prior", "prior");

    [Theory]
    [InlineData(null, "diffusion_pytorch_model.safetensors", SafeTensorsDType.F32)]
    [InlineData("fp16", "diffusion_pytorch_model.fp16.safetensors", SafeTensorsDType.F16)]
    [InlineData("bf16", "diffusion_pytorch_model.bf16.safetensors", SafeTensorsDType.BF16)]
    public void OpenComponent_ResolvesDiffusersVariantNames(string? variant, string expectedFile, SafeTensorsDType dtype)
    {
        using var weights = SafeTensorsCollection.OpenComponent(PriorFolder, DiffusersWeightFiles.DiffusersModel, variant);
        Assert.Equal(expectedFile, Path.GetFileName(Assert.Single(weights.Files).Path));
        Assert.All(weights.Keys, k => Assert.Equal(dtype, weights.GetInfo(k).DType));
    }

    [Fact]
    public void OpenComponent_ResolvesTransformersTextEncoder()
    {
        using var weights = SafeTensorsCollection.OpenComponent(Reference.Path_("tiny-wuerstchen", "text_encoder"), DiffusersWeightFiles.TransformersModel);
        Assert.Contains(weights.Keys, k => k.StartsWith("text_model.", StringComparison.Ordinal));
    }

    [Fact]
    public void OpenComponent_MissingVariant_ListsWhatWasLookedForAndWhatExists()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensorsCollection.OpenComponent(PriorFolder, variant: "ema"));
        Assert.Contains("diffusion_pytorch_model.ema.safetensors", e.Message);
        Assert.Contains("diffusion_pytorch_model.safetensors.index.ema.json", e.Message);
        Assert.Contains("diffusion_pytorch_model.fp16.safetensors", e.Message);
        Assert.Contains(PriorFolder, e.Message);
        Assert.Throws<ArgumentException>(() => DiffusersWeightFiles.Resolve(PriorFolder, variant: "../fp16"));
        Assert.Throws<DirectoryNotFoundException>(() => DiffusersWeightFiles.Resolve(Path.Combine(PriorFolder, "nope")));
    }

    [Fact]
    public void OpenComponent_PointsOutPickleCheckpoints()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("diffusion_pytorch_model.bin"), [1, 2, 3]);
        var e = Assert.Throws<FileNotFoundException>(() => DiffusersWeightFiles.Resolve(dir.Path));
        Assert.Contains("diffusion_pytorch_model.bin", e.Message);
        Assert.Contains("not supported", e.Message);
    }

    /// <summary>Splits the reference prior into two shards with an index, as sharded checkpoints are saved.</summary>
    private static Dictionary<string, string> WriteShards(TempFolder dir, string indexName, string shardPrefix)
    {
        using var source = SafeTensorsFile.Open(Path.Combine(PriorFolder, "diffusion_pytorch_model.safetensors"));
        var keys = source.Keys.ToArray();
        var map = new Dictionary<string, string>();
        for (int s = 0; s < 2; s++)
        {
            var shard = $"{shardPrefix}-0000{s + 1}-of-00002.safetensors";
            var writer = new SafeTensorsWriter();
            foreach (var key in keys.Where((_, i) => i % 2 == s))
            {
                var info = source.GetInfo(key);
                writer.AddRaw(key, info.DType, info.Shape, source.ReadRaw(key));
                map[key] = shard;
            }
            writer.Save(dir.File(shard));
        }
        WriteIndex(dir.File(indexName), map);
        return map;
    }

    private static void WriteIndex(string path, Dictionary<string, string> map) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new { metadata = new { total_size = 123 }, weight_map = map }));

    [Theory]
    [InlineData(null, "diffusion_pytorch_model.safetensors.index.json")]
    [InlineData("fp16", "diffusion_pytorch_model.safetensors.index.fp16.json")]
    [InlineData("fp16", "diffusion_pytorch_model.fp16.safetensors.index.json")]
    public void ShardedCheckpoint_ReadsLikeTheSingleFile(string? variant, string indexName)
    {
        using var dir = new TempFolder();
        var map = WriteShards(dir, indexName, "diffusion_pytorch_model");
        using var single = SafeTensorsFile.Open(Path.Combine(PriorFolder, "diffusion_pytorch_model.safetensors"));
        using var sharded = SafeTensorsCollection.OpenComponent(dir.Path, variant: variant);

        Assert.Equal(2, sharded.Files.Count);
        Assert.Equal(single.Keys.Order(StringComparer.Ordinal), sharded.Keys.Order(StringComparer.Ordinal));
        foreach (var key in single.Keys)
        {
            Assert.Equal(map[key], Path.GetFileName(sharded.FileOf(key).Path));
            using var a = single.ReadTensor(key);
            using var b = sharded.LoadTensor(key);
            Assert.Equal(a.ToArray(), b.ToArray());
            Assert.True(sharded.TryGetInfo(key, out var info));
            Assert.Equal(single.GetInfo(key).Shape, info.Shape);
        }
        var missing = Assert.Throws<KeyNotFoundException>(() => sharded.ReadTensor("no.such.weight"));
        Assert.Contains("no.such.weight", missing.Message);
    }

    [Fact]
    public void Index_MustMatchTheShards()
    {
        using var dir = new TempFolder();
        var map = WriteShards(dir, "model.safetensors.index.json", "model");
        var index = dir.File("model.safetensors.index.json");
        var someKey = map.Keys.First();

        var wrongShard = new Dictionary<string, string>(map) { [someKey] = map.Values.First(v => v != map[someKey]) };
        WriteIndex(index, wrongShard);
        Assert.Contains(someKey, Assert.Throws<InvalidDataException>(() => SafeTensorsCollection.OpenIndex(index)).Message);

        var unlisted = new Dictionary<string, string>(map);
        unlisted.Remove(someKey);
        WriteIndex(index, unlisted);
        Assert.Contains("missing from the weight_map", Assert.Throws<InvalidDataException>(() => SafeTensorsCollection.OpenIndex(index)).Message);

        var phantom = new Dictionary<string, string>(map) { ["ghost"] = map[someKey] };
        WriteIndex(index, phantom);
        Assert.Contains("'ghost'", Assert.Throws<InvalidDataException>(() => SafeTensorsCollection.OpenIndex(index)).Message);

        WriteIndex(index, new Dictionary<string, string>(map) { [someKey] = "model-00003-of-00002.safetensors" });
        Assert.Throws<FileNotFoundException>(() => SafeTensorsCollection.OpenComponent(dir.Path, DiffusersWeightFiles.TransformersModel));

        foreach (var hostile in new[] { "../model-00001-of-00002.safetensors", "/etc/passwd", "" })
        {
            WriteIndex(index, new Dictionary<string, string>(map) { [someKey] = hostile });
            Assert.Contains("plain relative file name", Assert.Throws<InvalidDataException>(() => SafeTensorsIndex.Read(index)).Message);
        }

        File.WriteAllText(index, """{"weight_map": {"a": 3}}""");
        Assert.Throws<InvalidDataException>(() => SafeTensorsIndex.Read(index));
        File.WriteAllText(index, """{"weight_map": """);
        Assert.Throws<InvalidDataException>(() => SafeTensorsIndex.Read(index));
        File.WriteAllText(index, """{"metadata": {}}""");
        Assert.Throws<InvalidDataException>(() => SafeTensorsIndex.Read(index));
    }

    [Fact]
    public void Open_SeveralFiles_RejectsCollidingNames()
    {
        using var dir = new TempFolder();
        using var t = Tensor.Full(1f, 2);
        SafeTensorsWriter.Save(dir.File("a.safetensors"), [new("x", t), new("y", t)]);
        SafeTensorsWriter.Save(dir.File("b.safetensors"), [new("z", t)]);
        SafeTensorsWriter.Save(dir.File("c.safetensors"), [new("y", t)]);

        using (var ab = SafeTensorsCollection.Open(dir.File("a.safetensors"), dir.File("b.safetensors")))
            Assert.Equal(["x", "y", "z"], ab.Keys);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsCollection.Open(dir.File("a.safetensors"), dir.File("c.safetensors")));
        Assert.Contains("'y'", e.Message);
        Assert.Contains("c.safetensors", e.Message);
    }
}
