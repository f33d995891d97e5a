namespace Wuerstchen.Data.Shapes;

/// <summary>Size class of the objects in a scene (the caption's "small" / "large").</summary>
public enum ShapeSize { Small, Large }

/// <summary>Where in the image the objects are (the caption's "on the left", "at the top", …).</summary>
public enum ScenePosition { Center, Left, Right, Top, Bottom }

/// <summary>How the background is filled: one colour, or a gentle gradient around it (still called by its name).</summary>
public enum BackgroundFill { Plain, VerticalGradient, HorizontalGradient, DiagonalGradient }

/// <summary>
/// One drawn object, in normalised image coordinates (x right, y down, both in [0, 1]); <see cref="Radius"/> is half
/// its larger bounding-box side (<see cref="ShapeOutline"/>). <see cref="Fill"/> is the exact colour drawn: the named
/// colour with a little jitter.
/// </summary>
public sealed record SceneObject(ShapeKind Shape, NamedColor Color, Rgb Fill, double CenterX, double CenterY, double Radius);

/// <summary>The background: <see cref="From"/> → <see cref="To"/> along the gradient direction (equal for plain fills).</summary>
public sealed record SceneBackground(NamedColor Color, BackgroundFill Fill, Rgb From, Rgb To);

/// <summary>
/// A captionable picture: <see cref="Count"/> objects of one shape and colour, of one size class, placed in one
/// region, over a named background. The structured attributes are what captions describe and what the
/// metadata records; <see cref="Objects"/> is the exact geometry the rasteriser draws.
/// </summary>
public sealed record ShapeScene(
    ShapeKind Shape,
    NamedColor Color,
    int Count,
    ShapeSize Size,
    ScenePosition Position,
    SceneBackground Background,
    IReadOnlyList<SceneObject> Objects);
