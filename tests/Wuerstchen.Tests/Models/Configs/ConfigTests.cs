using System.Text.Json.Nodes;
using Wuerstchen.Models.Configs;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Models.Configs;

public class ConfigTests
{
    [Fact]
    public void ReleasedConfigs_LoadAndEqualTheBuiltInDescriptions()
    {
        Assert.Equal(WuerstchenPriorConfig.WarpAi, WuerstchenPriorConfig.Load(ModelFolders.RealConfig("warp-ai--wuerstchen-prior", "prior")));
        Assert.Equal(WuerstchenDiffNeXtConfig.WarpAi, WuerstchenDiffNeXtConfig.Load(ModelFolders.RealConfig("warp-ai--wuerstchen", "decoder")));
        Assert.Equal(PaellaVQConfig.WarpAi, PaellaVQConfig.Load(ModelFolders.RealConfig("warp-ai--wuerstchen", "vqgan")));
        Assert.Equal(ClipTextConfig.WarpAiPrior, ClipTextConfig.Load(ModelFolders.RealConfig("warp-ai--wuerstchen-prior", "text_encoder")));
        Assert.Equal(ClipTextConfig.WarpAiDecoder, ClipTextConfig.Load(ModelFolders.RealConfig("warp-ai--wuerstchen", "text_encoder")));
        Assert.Equal([192, 384], PaellaVQConfig.WarpAi.CLevels);
    }

    [Fact]
    public void TinyConfigs_LoadFromTheirComponentFolders()
    {
        var prior = WuerstchenPriorConfig.Load(ModelFolders.TinyPrior);
        Assert.Equal(new WuerstchenPriorConfig(CIn: 8, C: 32, CCond: 24, CR: 16, Depth: 2, NHead: 4, Dropout: 0.1f), prior);

        var decoder = WuerstchenDiffNeXtConfig.Load(ModelFolders.TinyDecoder);
        Assert.Equal([8, 16, 24, 24], decoder.CHidden);
        Assert.Equal([2, 1, 2, 1], decoder.Blocks);
        Assert.Equal([-1, 2, 4, 4], decoder.NHead);
        Assert.Equal(["CT", "CTA", "CTA", "CTA"], decoder.LevelConfig);
        Assert.Equal([false, true, true, true], decoder.InjectEffnet);
        Assert.Equal((32, 20, 8, 16), (decoder.CCond, decoder.ClipEmbd, decoder.EffnetEmbd, decoder.CR));
        Assert.Equal([0.1f, 0.1f, 0.1f, 0.1f], decoder.Dropout);

        var vq = PaellaVQConfig.Load(ModelFolders.TinyVqgan);
        Assert.Equal((2, 2, 16, 64), (vq.Levels, vq.BottleneckBlocks, vq.EmbedDim, vq.NumVqEmbeddings));
        Assert.Equal([8, 16], vq.CLevels);

        var te = ClipTextConfig.Load(ModelFolders.TinyDecoderTextEncoder);
        Assert.Equal(new ClipTextConfig(49408, 20, 80, 4, 2, 77, "gelu", 1e-5f), te);
    }

    private const string PriorJson = """{"_class_name": "WuerstchenPrior", "c": 32, "c_cond": 24, "c_in": 8, "c_r": 16, "depth": 2, "dropout": 0.1, "nhead": 4}""";

    private static InvalidDataException PriorError(string from, string to) =>
        Assert.Throws<InvalidDataException>(() => WuerstchenPriorConfig.From(ConfigJson.Parse(PriorJson.Replace(from, to), "prior/config.json")));

    [Fact]
    public void MissingKey_IsAnErrorNamingFileAndKey()
    {
        var e = PriorError("\"depth\": 2, ", "");
        Assert.Contains("prior/config.json", e.Message);
        Assert.Contains("'depth'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void WrongType_IsAnErrorNamingFileKeyAndValue()
    {
        var e = PriorError("\"nhead\": 4", "\"nhead\": \"four\"");
        Assert.Contains("prior/config.json", e.Message);
        Assert.Contains("'nhead' must be an integer", e.Message);
        Assert.Contains("\"four\"", e.Message);

        var f = PriorError("\"c\": 32", "\"c\": 32.5");
        Assert.Contains("'c' must be an integer", f.Message);
    }

    [Fact]
    public void UnsupportedValue_IsAnErrorNamingFileKeyAndReason()
    {
        var e = PriorError("\"nhead\": 4", "\"nhead\": 5");
        Assert.Contains("prior/config.json", e.Message);
        Assert.Contains("unsupported value 5 for 'nhead'", e.Message);
        Assert.Contains("divide c = 32", e.Message);

        Assert.Contains("'c_r'", PriorError("\"c_r\": 16", "\"c_r\": 2").Message);
    }

    [Fact]
    public void WrongClassName_IsRejected()
    {
        var e = PriorError("WuerstchenPrior", "WuerstchenDiffNeXt");
        Assert.Contains("'_class_name'", e.Message);
        Assert.Contains("WuerstchenPrior", e.Message);
    }

    /// <summary>The tiny decoder's config.json with one key changed.</summary>
    private static WuerstchenDiffNeXtConfig DecoderWith(string key, JsonNode? value)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ModelFolders.TinyDecoder, "config.json")))!;
        json[key] = value;
        return WuerstchenDiffNeXtConfig.From(ConfigJson.Parse(json.ToJsonString(), "decoder/config.json"));
    }

    [Fact]
    public void DecoderConfig_ValidatesPerLevelArrays()
    {
        var letters = Assert.Throws<InvalidDataException>(() => DecoderWith("level_config", new JsonArray("CT", "CTX", "CTA", "CTA")));
        Assert.Contains("decoder/config.json", letters.Message);
        Assert.Contains("'level_config[1]'", letters.Message);
        Assert.Contains("\"CTX\"", letters.Message);

        var lengths = Assert.Throws<InvalidDataException>(() => DecoderWith("blocks", new JsonArray(1, 2, 1)));
        Assert.Contains("'blocks'", lengths.Message);
        Assert.Contains("needs 4 entries", lengths.Message);

        var heads = Assert.Throws<InvalidDataException>(() => DecoderWith("nhead", new JsonArray(-1, 3, 4, 4)));
        Assert.Contains("'nhead[1]'", heads.Message);

        var kernel = Assert.Throws<InvalidDataException>(() => DecoderWith("kernel_size", 4));
        Assert.Contains("'kernel_size'", kernel.Message);

        var dropout = DecoderWith("dropout", new JsonArray(0, 0.1, 0.2, 0.3));
        Assert.Equal([0f, 0.1f, 0.2f, 0.3f], dropout.Dropout);
    }

    [Fact]
    public void ClipConfig_RejectsUnknownActivationAndReadsNestedTextConfig()
    {
        string json = File.ReadAllText(Path.Combine(ModelFolders.TinyPriorTextEncoder, "config.json"));
        var act = Assert.Throws<InvalidDataException>(() => ClipTextConfig.From(ConfigJson.Parse(json.Replace("\"gelu\"", "\"relu\""), "text_encoder/config.json")));
        Assert.Contains("'hidden_act'", act.Message);
        Assert.Contains("\"relu\"", act.Message);

        var nested = ClipTextConfig.From(ConfigJson.Parse($$"""{"model_type": "clip", "text_config": {{json}} }""", "clip/config.json"));
        Assert.Equal(24, nested.HiddenSize);
    }

    [Fact]
    public void Load_ErrorsNameTheFileOnDisk()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("config.json"), PriorJson.Replace("\"c_in\": 8", "\"c_in\": [8]"));
        var e = Assert.Throws<InvalidDataException>(() => WuerstchenPriorConfig.Load(dir.Path));
        Assert.Contains(dir.File("config.json"), e.Message);
        Assert.Contains("'c_in'", e.Message);

        File.WriteAllText(dir.File("config.json"), "{ not json");
        Assert.Contains(dir.File("config.json"), Assert.Throws<InvalidDataException>(() => WuerstchenPriorConfig.Load(dir.Path)).Message);
        Assert.Throws<FileNotFoundException>(() => WuerstchenPriorConfig.Load(Path.Combine(dir.Path, "missing")));
    }
}
