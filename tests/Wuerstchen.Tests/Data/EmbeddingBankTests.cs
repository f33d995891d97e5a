using Wuerstchen.Data;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Data;

public class EmbeddingBankTests
{
    private static Tensor Embedding(float v) => Tensor.Full(v, 2, 3, 3);

    [Fact]
    public void ShardsRoundTripByIdAndKnowTheirMembers()
    {
        using var temp = new TempFolder();
        using (var a = Embedding(1))
        using (var b = Embedding(2))
        using (var c = Embedding(3))
        {
            EmbeddingBank.WriteShard(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(0)), "build-1", [("000", a), ("001", b)]);
            EmbeddingBank.WriteShard(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(1)), "build-1", [("002", c)], new Dictionary<string, string> { ["note"] = "x" });
        }
        Assert.True(EmbeddingBank.IsComplete(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(0)), "build-1", ["000", "001"]));
        Assert.False(EmbeddingBank.IsComplete(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(0)), "build-2", ["000", "001"]));
        Assert.False(EmbeddingBank.IsComplete(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(0)), "build-1", ["000"]));
        Assert.False(EmbeddingBank.IsComplete(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(7)), "build-1", ["000"]));

        using var bank = EmbeddingBank.Open(temp.Path);
        Assert.Equal(3, bank.Count);
        Assert.Equal("build-1", bank.Identity);
        Assert.True(bank.TryGet("002", out var got));
        using (got)
        {
            Assert.Equal([2, 3, 3], got.Shape.ToArray());
            Assert.All(got.ToArray(), v => Assert.Equal(3f, v));
        }
        Assert.False(bank.TryGet("003", out _));
        Assert.True(bank.Contains("000"));
    }

    [Fact]
    public void OpenNamesTheFolderOrTheShardThatIsWrong()
    {
        using var temp = new TempFolder();
        Assert.Contains("missing", Assert.Throws<DirectoryNotFoundException>(() => EmbeddingBank.Open(Path.Combine(temp.Path, "missing"))).Message);
        Assert.Contains(temp.Path, Assert.Throws<InvalidDataException>(() => EmbeddingBank.Open(temp.Path)).Message);

        using (var a = Embedding(1))
        {
            EmbeddingBank.WriteShard(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(0)), "build-1", [("000", a)]);
            EmbeddingBank.WriteShard(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(1)), "build-2", [("001", a)]);
        }
        var mixed = Assert.Throws<InvalidDataException>(() => EmbeddingBank.Open(temp.Path));
        Assert.Contains(EmbeddingBank.ShardFileName(1), mixed.Message);

        using (var a = Embedding(1))
        {
            EmbeddingBank.WriteShard(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(1)), "build-1", [("000", a)]);
            Assert.Contains("'000'", Assert.Throws<InvalidDataException>(() => EmbeddingBank.Open(temp.Path)).Message);
            SafeTensorsWriter.Save(Path.Combine(temp.Path, EmbeddingBank.ShardFileName(1)), [new("001", a)]);
        }
        Assert.Contains("not an embedding bank shard", Assert.Throws<InvalidDataException>(() => EmbeddingBank.Open(temp.Path)).Message);
    }
}
