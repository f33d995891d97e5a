using Wuerstchen.Models.Lora;
using Wuerstchen.Models.Nn;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// <see cref="PriorRequest.Loras"/>: the prior pipeline with a LoRA equals the same run on a prior with that LoRA
/// attached by hand, strength 0 equals no LoRA, the adapters are gone after the run (a kept prior returns to its base
/// weights), and a missing file fails before any model loads.
/// </summary>
public class PriorLoraPipelineTests
{
    private static string LoraFile => Reference.Path_("tiny-wuerstchen-prior-lora", "pytorch_lora_weights.safetensors");

    private static PriorRequest Request(IReadOnlyList<LoraFile>? loras = null) => new()
    {
        Prompts = ["a photo of a red fox in the snow"],
        Height = 128,
        Width = 128,
        NumInferenceSteps = 2,
        GuidanceScale = 4f,
        Loras = loras,
    };

    private static float[] Run(WuerstchenPriorPipeline pipeline, PriorRequest request)
    {
        using var result = pipeline.Run(request, new TorchGenerator(7));
        return result.ImageEmbeddings.ToArray();
    }

    [Fact]
    public void LoraRunEqualsAHandAttachedLoraAndIsDetachedAfterwards()
    {
        using var pipeline = WuerstchenPriorPipeline.FromPretrained(Reference.Path_("tiny-wuerstchen-prior"), new PipelineLoadOptions { KeepModelsLoaded = true });
        var plain = Run(pipeline, Request());
        var withLora = Run(pipeline, Request([new LoraFile(LoraFile, 0.8f)]));
        Assert.NotEqual(plain, withLora);

        using var lease = pipeline.Prior.Acquire();
        var prior = ((WuerstchenPriorAdapter)lease.Component).Model;
        Assert.All(prior.Modules().OfType<Linear>(), l => Assert.Null(l.Adapter)); // the run detached its LoRA
        Assert.Equal(plain, Run(pipeline, Request()));
        using (PriorLora.Load(prior, LoraFile, 0.8f))
            Assert.Equal(withLora, Run(pipeline, Request()));
    }

    [Fact]
    public void StrengthZeroIsTheBaseModel()
    {
        using var pipeline = WuerstchenPriorPipeline.FromPretrained(Reference.Path_("tiny-wuerstchen-prior"));
        Assert.Equal(Run(pipeline, Request()), Run(pipeline, Request([new LoraFile(LoraFile, 0f)])));
    }

    [Fact]
    public void MissingFileFailsBeforeLoading()
    {
        using var pipeline = WuerstchenPriorPipeline.FromPretrained(Reference.Path_("tiny-wuerstchen-prior"), new PipelineLoadOptions { KeepModelsLoaded = true });
        var e = Assert.Throws<ArgumentException>(() => Run(pipeline, Request([new LoraFile("no-such-lora.safetensors")])));
        Assert.Equal("Loras", e.ParamName);
        Assert.Contains("no-such-lora.safetensors", e.Message);
        Assert.False(pipeline.Prior.IsLoaded);
    }
}
