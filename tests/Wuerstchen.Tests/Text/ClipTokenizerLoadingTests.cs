using Wuerstchen.Text;

namespace Wuerstchen.Tests.Text;

public sealed class ClipTokenizerLoadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wuerstchen-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void CopyReference(params string[] files)
    {
        foreach (var f in files) File.Copy(Reference.Path_("tokenizer", f), Path.Combine(_dir, f));
    }

    [Fact]
    public void MissingVocab_NamesTheFile()
    {
        CopyReference("merges.txt");
        var e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains("vocab.json", e.Message);
    }

    [Fact]
    public void MissingMerges_NamesTheFile()
    {
        CopyReference("vocab.json");
        var e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains("merges.txt", e.Message);
    }

    [Fact]
    public void MissingFolder_NamesTheFolder()
    {
        var missing = Path.Combine(_dir, "nope");
        var e = Assert.Throws<DirectoryNotFoundException>(() => ClipTokenizer.FromDirectory(missing));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void MalformedVocab_NamesTheFile()
    {
        CopyReference("merges.txt");
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), "{\"a\": 1, ");
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains("vocab.json", e.Message);
    }

    [Fact]
    public void NonIntegerId_NamesTheToken()
    {
        CopyReference("merges.txt");
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), "{\"a\": \"one\"}");
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void MalformedMergeLine_NamesFileAndLine()
    {
        CopyReference("vocab.json");
        File.WriteAllLines(Path.Combine(_dir, "merges.txt"), ["#version: 0.2", "i n", "t h e"]);
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains("merges.txt:3", e.Message);
    }

    [Fact]
    public void MergeOfUnknownSymbol_NamesFileAndLine()
    {
        CopyReference("vocab.json");
        File.WriteAllLines(Path.Combine(_dir, "merges.txt"), ["#version: 0.2", "i n", "qqq zzz"]);
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains("merges.txt:3", e.Message);
    }

    [Fact]
    public void MalformedConfig_NamesTheFile()
    {
        CopyReference("vocab.json", "merges.txt");
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains("tokenizer_config.json", e.Message);
    }

    [Fact]
    public void UnknownSpecialToken_NamesTheKey()
    {
        CopyReference("vocab.json", "merges.txt");
        File.WriteAllText(Path.Combine(_dir, "special_tokens_map.json"), "{\"pad_token\": \"<pad>\"}");
        var e = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains("pad_token", e.Message);
    }

    [Fact]
    public void ConfigFilesAreOptional_AndPadTokenComesFromThem()
    {
        CopyReference("vocab.json", "merges.txt");
        var defaults = ClipTokenizer.FromDirectory(_dir);
        Assert.Equal(49407, defaults.PadTokenId);

        File.WriteAllText(Path.Combine(_dir, "special_tokens_map.json"), "{\"pad_token\": {\"content\": \"!\"}, \"model_max_length\": 16}");
        var custom = ClipTokenizer.FromDirectory(_dir);
        Assert.Equal(0, custom.PadTokenId);
        Assert.Equal(16, custom.ModelMaxLength);
        var encoding = custom.Encode("a cat");
        Assert.Equal([49406, 320, 2368, 49407, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], encoding.InputIds);
    }

    [Fact]
    public void LoadsTheFullVocabularyQuickly()
    {
        // Load time is dominated by parsing 49k vocabulary entries and 49k merges; it should stay far below a
        // second. The bound here only catches pathological regressions on a busy CI machine.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var tokenizer = ClipTokenizer.FromDirectory(Reference.Path_("tokenizer"));
        sw.Stop();
        Assert.Equal(49408, tokenizer.VocabSize);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"Loading took {sw.Elapsed.TotalMilliseconds:F0} ms.");
    }
}
