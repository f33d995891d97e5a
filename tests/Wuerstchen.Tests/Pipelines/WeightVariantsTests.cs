using Wuerstchen.Pipelines;
using Wuerstchen.Rng;

namespace Wuerstchen.Tests.Pipelines;

public class WeightVariantsTests
{
    [Fact]
    public void A_variant_applies_where_the_component_ships_it()
    {
        Assert.Equal("fp16", WeightVariants.IfPresent(Reference.Path_("tiny-wuerstchen-prior", "prior"), "fp16"));
        Assert.Equal("bf16", WeightVariants.IfPresent(Reference.Path_("tiny-wuerstchen-prior", "prior"), "bf16"));
        Assert.Null(WeightVariants.IfPresent(Reference.Path_("tiny-wuerstchen-prior", "text_encoder"), "fp16"));
        Assert.Null(WeightVariants.IfPresent(Reference.Path_("tiny-wuerstchen-prior", "prior"), null));
    }

    [Fact]
    public void Prior_pipeline_loads_the_half_precision_prior_weights()
    {
        var request = new PriorRequest { Prompts = ["cute robot"], Height = 128, Width = 256, NumInferenceSteps = 2, GuidanceScale = 1f };
        using var full = WuerstchenPriorPipeline.FromPretrained(Reference.Path_("tiny-wuerstchen-prior"));
        using var half = WuerstchenPriorPipeline.FromPretrained(Reference.Path_("tiny-wuerstchen-prior"), new PipelineLoadOptions { Variant = "fp16" });
        using var a = full.Run(request, new TorchGenerator(5));
        using var b = half.Run(request, new TorchGenerator(5));
        // Same seed, same draws: the embeddings differ only through the fp16-rounded weights — a little, not wildly.
        var diff = a.ImageEmbeddings.ToArray().Zip(b.ImageEmbeddings.ToArray(), (x, y) => Math.Abs(x - y)).Max();
        Assert.InRange(diff, 1e-3, 50);
    }
}
